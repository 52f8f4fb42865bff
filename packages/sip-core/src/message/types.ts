/**
 * The SIP message model shared by the parser, the builders, transactions and dialogs.
 * RFC 3261 §7: a message is a start line, header fields in order, and a body of bytes.
 *
 * Headers are kept as written (name as it appeared, raw value) and in order, so that unknown
 * headers survive a round trip untouched; typed views (Via, From/To, CSeq, ...) are parsed on
 * demand by the accessors in `headers/` and never by the framing parser itself (speed: most
 * headers of most messages are never looked at).
 */

/** One header field line as it appeared on the wire (after unfolding, RFC 3261 §7.3.1). */
export interface SipHeader {
  /** The name as written, e.g. `v` or `Via`. */
  readonly name: string;
  /** The canonical lower-case long name, e.g. `via` for both `v` and `Via`. */
  readonly key: string;
  /** The raw value, leading/trailing whitespace removed, folding replaced by one space. */
  readonly value: string;
}

interface SipMessageBase {
  /** Header fields in wire order. Mutate only through the helpers in `headers/header-list.ts`. */
  headers: SipHeader[];
  /** The body as bytes (RFC 3261 §7.4); empty when there is none. */
  body: Uint8Array;
}

/** RFC 3261 §7.1 Request-Line. */
export interface SipRequest extends SipMessageBase {
  readonly kind: "request";
  /** Method token, case-sensitive (RFC 3261 §7.1), e.g. `INVITE`. */
  method: string;
  /** The Request-URI exactly as written; parse with `parseUri`. */
  uri: string;
}

/** RFC 3261 §7.2 Status-Line. */
export interface SipResponse extends SipMessageBase {
  readonly kind: "response";
  /** Three-digit status code, 100–699. */
  status: number;
  /** Reason phrase, possibly empty. */
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;
