/**
 * Typed parse errors. Input from the wire never throws out of the parser (house style): every
 * parser returns a {@link SipResult}. Codes are stable strings, like undici's `UND_ERR_*`.
 */
import type { SipHeader } from "./types.js";

export type SipParseErrorCode =
  /** Empty input, or only CRLFs. */
  | "SIP_ERR_EMPTY"
  /** Request-Line / Status-Line malformed (RFC 3261 §7.1, §7.2, §25.1). */
  | "SIP_ERR_START_LINE"
  /** SIP-Version other than SIP/2.0: answer 505 (RFC 3261 §21.5.6). */
  | "SIP_ERR_VERSION"
  /** Request-URI malformed (RFC 3261 §19.1, §25.1). */
  | "SIP_ERR_REQUEST_URI"
  /** Header line without a colon, bad header name, or a typed header value that does not parse. */
  | "SIP_ERR_HEADER"
  /** The empty line ending the header section is missing (RFC 3261 §7). */
  | "SIP_ERR_HEADERS_UNTERMINATED"
  /** Content-Length missing on a stream, negative, not a number, conflicting or beyond the data (RFC 3261 §18.3, §20.14). */
  | "SIP_ERR_CONTENT_LENGTH"
  /** CSeq method differs from the Request-Line method (RFC 3261 §8.1.1.5). */
  | "SIP_ERR_CSEQ_MISMATCH"
  /** Message, header line or header count over the configured limits. */
  | "SIP_ERR_TOO_LARGE"
  /** A URI that does not parse (RFC 3261 §19.1, RFC 3966). */
  | "SIP_ERR_URI";

/** What was understood of a message that failed to parse: enough to answer 400 (RFC 3261 §8.2.6). */
export interface PartialMessage {
  readonly kind?: "request" | "response";
  readonly method?: string;
  readonly uri?: string;
  readonly status?: number;
  /** The header lines that could be split, in order (Via, From, To, Call-ID, CSeq among them when present). */
  readonly headers: readonly SipHeader[];
}

export class SipParseError extends Error {
  override readonly name = "SipParseError";
  readonly code: SipParseErrorCode;
  /** The canonical key of the header at fault, when one is. */
  readonly header: string | undefined;
  /** Best-effort partial message for a 400 response; absent when not even the start line was found. */
  partial: PartialMessage | undefined;

  constructor(code: SipParseErrorCode, message: string, header?: string, partial?: PartialMessage) {
    super(message);
    this.code = code;
    this.header = header;
    this.partial = partial;
  }
}

/** Result of a parser that never throws. */
export type SipResult<T> = { ok: true; value: T } | { ok: false; error: SipParseError };

export function ok<T>(value: T): SipResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: SipParseErrorCode, message: string, header?: string): SipResult<T> {
  return { ok: false, error: new SipParseError(code, message, header) };
}
