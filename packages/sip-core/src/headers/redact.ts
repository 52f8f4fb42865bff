/**
 * Credentials never leave the SIP stack (SPEC §4): wherever a message is shown outside it
 * (callbacks, application-hook requests, the stored trace, the API), the values of the headers
 * carrying them are replaced. A digest response and its nonce are enough to replay a request
 * within the nonce's lifetime (RFC 3261 §22.4, RFC 7616 §5.13), so the whole value goes.
 */
import type { SipHeader } from "../message/types.js";

/** What a redacted header value reads. */
export const REDACTED = "[redacted]";

/** Canonical keys of the headers whose values are credentials (RFC 3261 §20.7, §20.28). */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "proxy-authorization"]);

/** `value`, or {@link REDACTED} when the header with canonical key `key` carries credentials. */
export function redactHeaderValue(key: string, value: string): string {
  return CREDENTIAL_HEADERS.has(key) ? REDACTED : value;
}

/** The header lines with every credential value redacted; the input is left as it is. */
export function redactHeaders(headers: readonly SipHeader[]): SipHeader[] {
  return headers.map((h) =>
    CREDENTIAL_HEADERS.has(h.key) ? { name: h.name, key: h.key, value: REDACTED } : h,
  );
}
