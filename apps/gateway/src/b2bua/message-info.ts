/**
 * A SIP message as the trace and the events show it (SPEC §4 `message`), credentials redacted.
 */
import type { MessageDirection, SipMessageInfo } from "@hookline/callbacks";
import { getCSeq, getCallId, getFrom, getTo, redactHeaderValue, type SipMessage } from "@hookline/sip-core";

/**
 * The SPEC §4 `message` object: header names lower-cased, repeated headers joined with ", ",
 * credentials (Authorization, Proxy-Authorization) redacted: the trace and callbacks are built
 * from it, and credentials never leave the gateway.
 */
export function describe(m: SipMessage, direction: MessageDirection): SipMessageInfo {
  const headers: Record<string, string> = {};
  for (const h of m.headers) {
    const name = h.name.length === 1 ? h.key : h.name.toLowerCase();
    const value = redactHeaderValue(h.key, h.value);
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const cseq = getCSeq(m);
  return {
    direction,
    method: m.kind === "request" ? m.method : (cseq?.method ?? ""),
    status: m.kind === "response" ? m.status : null,
    reason: m.kind === "response" ? m.reason : null,
    requestUri: m.kind === "request" ? m.uri : null,
    from: getFrom(m)?.uri ?? "",
    to: getTo(m)?.uri ?? "",
    sipCallId: getCallId(m) ?? "",
    cseq: cseq ? `${cseq.seq} ${cseq.method}` : "",
    headers,
  };
}

/**
 * The gateway's own challenge with its nonce redacted: a nonce with the digest response made for it
 * can replay a request while the nonce lives (RFC 7616 §5.13); the response is redacted already
 * (Proxy-Authorization), and the nonce, the gateway's, has no business in a tenant's trace either.
 */
export function withoutNonces(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  for (const name of ["www-authenticate", "proxy-authenticate"]) {
    const value = out[name];
    if (value !== undefined) out[name] = value.replace(/nonce="[^"]*"/gi, 'nonce="[redacted]"');
  }
  return out;
}
