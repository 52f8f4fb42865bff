/**
 * A digit sent as SIP INFO (SPEC §4 `call.dtmf`). Two bodies are in use, neither an RFC: the
 * `application/dtmf-relay` of Cisco and sip.js (`Signal=5\r\nDuration=160`) and the bare
 * `application/dtmf` (`5`). Events 10–15 (`*`, `#`, `A`–`D`) may be sent as numbers, as in RFC 4733
 * §3.2's event table.
 */
import type { SipRequest } from "@hookline/sip-core";
import { contentTypeOf, text } from "./sip-helpers.js";

export interface InfoDigit {
  digit: string;
  durationMs: number | null;
}

const EVENT_DIGITS = "0123456789*#ABCD";

function digitOf(signal: string): string | undefined {
  const s = signal.trim().toUpperCase();
  if (s.length === 1 && EVENT_DIGITS.includes(s)) return s;
  const n = /^\d{1,2}$/.test(s) ? Number(s) : NaN;
  return n >= 10 && n <= 15 ? EVENT_DIGITS[n] : undefined;
}

/** The digit an INFO carries, or undefined for any other INFO. */
export function infoDigit(req: SipRequest): InfoDigit | undefined {
  const type = contentTypeOf(req).contentType?.toLowerCase().split(";")[0]?.trim();
  if (type === "application/dtmf") {
    const digit = digitOf(text(req.body));
    return digit === undefined ? undefined : { digit, durationMs: null };
  }
  if (type !== "application/dtmf-relay") return undefined;
  let digit: string | undefined;
  let durationMs: number | null = null;
  for (const line of text(req.body).split(/\r?\n/)) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const name = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (name === "signal") digit = digitOf(value);
    else if (name === "duration" && /^\d{1,6}$/.test(value)) durationMs = Number(value);
  }
  return digit === undefined ? undefined : { digit, durationMs };
}
