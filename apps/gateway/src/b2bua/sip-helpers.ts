/** Small SIP helpers shared by the B2BUA's files. */
import { getHeader, parseUri, type HeaderInput, type SipRequest, type SipResponse } from "@hookline/sip-core";

/** Headers that never cross from one leg to another. */
const HOOKLINE_HEADER = /^x-hookline-/i;

export function parseSip(uri: string | undefined): { user: string | undefined; host: string } | undefined {
  if (!uri) return undefined;
  const r = parseUri(uri);
  if (!r.ok || r.value.kind !== "sip") return undefined;
  return { user: r.value.user, host: r.value.host };
}

export function nameAddr(display: string | undefined, uri: string): string {
  return display ? `"${display.replace(/(["\\])/g, "\\$1")}" <${uri}>` : `<${uri}>`;
}

export function isSdp(m: SipRequest | SipResponse): boolean {
  return (
    m.body.length > 0 && (getHeader(m, "content-type") ?? "").toLowerCase().startsWith("application/sdp")
  );
}

export function text(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
}

export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "utf8"));
}

export function contentTypeOf(m: SipRequest | SipResponse): { contentType?: string } {
  const ct = getHeader(m, "content-type");
  return ct ? { contentType: ct } : {};
}

/** The caller's `X-` headers reach the callee, except Hookline's own. */
export function passThroughHeaders(m: SipRequest | SipResponse): HeaderInput[] {
  return m.headers.filter((h) => h.key.startsWith("x-") && !HOOKLINE_HEADER.test(h.key)).map((h) => h);
}

/** A message's `X-` headers (Hookline's own left out) by lower-case name, repeats joined with ", ". */
export function xHeaders(m: SipRequest | SipResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of m.headers) {
    if (!h.key.startsWith("x-") || HOOKLINE_HEADER.test(h.key)) continue;
    out[h.key] = out[h.key] === undefined ? h.value : `${out[h.key]}, ${h.value}`;
  }
  return out;
}
