/** Responses built by the gateway itself (RFC 3261 §8.2.6). */
import { getTo, type SipRequest, type SipResponse } from "@hookline/sip-core";
import { randomBytes } from "node:crypto";

const COPIED = new Set(["via", "from", "to", "call-id", "cseq"]);

export function newTag(): string {
  return randomBytes(6).toString("hex");
}

/**
 * A response to `req`: Via, From, To, Call-ID and CSeq copied in order (§8.2.6.2); a To tag added
 * when the request had none (except for 100, §8.2.6.2).
 */
export function createResponse(req: SipRequest, status: number, reason: string, toTag?: string): SipResponse {
  const headers = req.headers.filter((h) => COPIED.has(h.key)).map((h) => ({ ...h }));
  if (status > 100) {
    const i = headers.findIndex((h) => h.key === "to");
    const to = headers[i];
    if (to && !getTo(req)?.tag) headers[i] = { ...to, value: `${to.value};tag=${toTag ?? newTag()}` };
  }
  headers.push({ name: "Server", key: "server", value: "Hookline" });
  return { kind: "response", status, reason, headers, body: new Uint8Array(0) };
}
