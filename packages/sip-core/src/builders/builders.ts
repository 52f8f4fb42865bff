/**
 * Building messages: responses (RFC 3261 §8.2.6), CANCEL (§9.1), ACK for a non-2xx final response
 * (§17.1.1.3), and generic requests. Headers are copied as header objects, so the copies keep
 * their cached typed values and exact spelling.
 */
import { createHeader } from "../headers/header-list.js";
import { parseNameAddr } from "../headers/name-addr.js";
import { splitCommas } from "../headers/scan.js";
import { parseCSeq } from "../headers/values.js";
import type { SipHeader, SipRequest, SipResponse } from "../message/types.js";
import { reasonPhrase } from "./reason-phrases.js";

export type HeaderInput = SipHeader | readonly [name: string, value: string];

function toHeaders(list: readonly HeaderInput[] | undefined): SipHeader[] {
  if (list === undefined) return [];
  return list.map((h) =>
    Array.isArray(h) ? createHeader(h[0] as string, h[1] as string) : (h as SipHeader),
  );
}

function bodyBytes(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === "string" ? new Uint8Array(Buffer.from(body, "utf8")) : body;
}

export interface CreateResponseOptions {
  /** Tag added to To when it has none (RFC 3261 §8.2.6.2); ignored for 100 Trying. */
  toTag?: string;
  /** Copy Record-Route for 1xx/2xx to a dialog-creating request (RFC 3261 §12.1.1). */
  copyRecordRoute?: boolean;
  /** Extra headers appended after the copied ones (e.g. Contact, Allow, WWW-Authenticate). */
  headers?: readonly HeaderInput[];
  body?: Uint8Array | string;
  /** Content-Type for the body. */
  contentType?: string;
}

const COPIED = new Set(["via", "from", "to", "call-id", "cseq"]);

/**
 * A response to `request` (RFC 3261 §8.2.6): Via lines, From, To (plus a tag), Call-ID and CSeq
 * copied in order; Timestamp copied into 100 Trying (§8.2.6.1); Record-Route copied on request for
 * 1xx/2xx (§12.1.1). Also works from a parse error's partial message (to answer 400).
 */
export function createResponse(
  request: { readonly headers: readonly SipHeader[] },
  status: number,
  reason?: string,
  options: CreateResponseOptions = {},
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`bad status ${status}`);
  const headers: SipHeader[] = [];
  const copyRr = options.copyRecordRoute === true && status > 100 && status < 300;
  for (const h of request.headers) {
    if (h.key === "to" && options.toTag !== undefined && status > 100) {
      const na = parseNameAddr(h.value);
      headers.push(
        na.ok && na.value.tag === undefined
          ? { name: h.name, key: h.key, value: `${h.value};tag=${options.toTag}` }
          : h,
      );
    } else if (
      COPIED.has(h.key) ||
      (copyRr && h.key === "record-route") ||
      (status === 100 && h.key === "timestamp")
    ) {
      headers.push(h);
    }
  }
  const body = bodyBytes(options.body);
  if (options.contentType !== undefined) headers.push(createHeader("content-type", options.contentType));
  headers.push(...toHeaders(options.headers));
  return { kind: "response", status, reason: reason ?? reasonPhrase(status), headers, body };
}

export interface CreateRequestInput {
  method: string;
  uri: string;
  headers?: readonly HeaderInput[];
  body?: Uint8Array | string;
  contentType?: string;
}

/** A request with the given parts; Content-Length is written by the serializer. */
export function createRequest(input: CreateRequestInput): SipRequest {
  const headers = toHeaders(input.headers);
  if (input.contentType !== undefined) headers.push(createHeader("content-type", input.contentType));
  return { kind: "request", method: input.method, uri: input.uri, headers, body: bodyBytes(input.body) };
}

function firstLine(m: Pick<SipRequest, "headers">, key: string): SipHeader {
  const h = m.headers.find((x) => x.key === key);
  if (h === undefined) throw new TypeError(`request has no ${key} header`);
  return h;
}

function cseqNumber(m: Pick<SipRequest, "headers">): number {
  const r = parseCSeq(firstLine(m, "cseq").value);
  if (!r.ok) throw new TypeError("request has a malformed CSeq");
  return r.value.seq;
}

/**
 * CANCEL for a pending INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, To, From and CSeq number
 * (method CANCEL), a single Via equal to the INVITE's top Via (so it matches the same branch), and
 * the INVITE's Route headers.
 */
export function createCancel(invite: SipRequest): SipRequest {
  const topVia = firstLine(invite, "via");
  const firstVia = splitCommas(topVia.value)[0] ?? topVia.value;
  const headers: SipHeader[] = [
    { name: topVia.name, key: "via", value: firstVia },
    firstLine(invite, "from"),
    firstLine(invite, "to"),
    firstLine(invite, "call-id"),
    createHeader("cseq", `${cseqNumber(invite)} CANCEL`),
    createHeader("max-forwards", "70"),
    ...invite.headers.filter((h) => h.key === "route"),
  ];
  return { kind: "request", method: "CANCEL", uri: invite.uri, headers, body: new Uint8Array(0) };
}

/**
 * ACK for a non-2xx final response, built by the INVITE client transaction (RFC 3261 §17.1.1.3):
 * Request-URI, Call-ID, From and CSeq number of the INVITE, To from the response (with its tag),
 * only the INVITE's top Via, and the INVITE's Route headers.
 */
export function createAckForNonSuccess(invite: SipRequest, response: SipResponse): SipRequest {
  const topVia = firstLine(invite, "via");
  const firstVia = splitCommas(topVia.value)[0] ?? topVia.value;
  const headers: SipHeader[] = [
    { name: topVia.name, key: "via", value: firstVia },
    firstLine(invite, "from"),
    firstLine(response, "to"),
    firstLine(invite, "call-id"),
    createHeader("cseq", `${cseqNumber(invite)} ACK`),
    createHeader("max-forwards", "70"),
    ...invite.headers.filter((h) => h.key === "route"),
  ];
  return { kind: "request", method: "ACK", uri: invite.uri, headers, body: new Uint8Array(0) };
}
