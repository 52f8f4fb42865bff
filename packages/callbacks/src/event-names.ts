/**
 * Event names a callback may subscribe to (SPEC §4).
 *
 * - `sip.<METHOD>`: any RFC 3261 §25.1 token (methods are case-sensitive, RFC 3261 §7.1);
 * - `sip.<code>`: a final or provisional status code 100–699; `sip.<1-6>xx`: a class;
 * - `sip.*`, `call.*`, `registration.*`, `media.*`, `trunk.*`: every event of that family;
 * - `call.initiated|ringing|answered|completed|failed`, `call.dtmf` (a digit from either leg);
 * - `registration.created|refreshed|expired|removed`;
 * - `media.started` (first RTP in each direction of a leg), `media.timeout` (no RTP from a leg);
 * - `trunk.up`, `trunk.down`: an outbound target of a trunk answers OPTIONS again, or stopped.
 *
 * A `*` anywhere else is refused even though RFC 3261 allows it in a token: `sip.IN*` reads like a
 * glob and would silently match nothing.
 */

export const CALL_EVENT_TYPES = [
  "call.initiated",
  "call.ringing",
  "call.answered",
  "call.completed",
  "call.failed",
] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export const DTMF_EVENT_TYPE = "call.dtmf";

export const REGISTRATION_EVENT_TYPES = [
  "registration.created",
  "registration.refreshed",
  "registration.expired",
  "registration.removed",
] as const;
export type RegistrationEventType = (typeof REGISTRATION_EVENT_TYPES)[number];

export const MEDIA_EVENT_TYPES = ["media.started", "media.timeout"] as const;
export type MediaEventType = (typeof MEDIA_EVENT_TYPES)[number];

export const TRUNK_EVENT_TYPES = ["trunk.up", "trunk.down"] as const;
export type TrunkEventType = (typeof TRUNK_EVENT_TYPES)[number];

const FAMILIES = ["sip.*", "call.*", "registration.*", "media.*", "trunk.*"];

export const MAX_EVENT_NAMES = 64;
const MAX_NAME_LENGTH = 64;

/** RFC 3261 §25.1 token, minus `*` (see above). */
const SIP_TOKEN = /^[A-Za-z0-9\-.!%_+`'~]+$/;
const STATUS_CODE = /^[1-6][0-9]{2}$/;
const STATUS_CLASS = /^[1-6]xx$/;

export type EventNamesResult = { ok: true } | { ok: false; error: string };

export function validateEventName(name: string): { ok: true } | { ok: false; error: string } {
  if (typeof name !== "string") return { ok: false, error: "event name must be a string" };
  if (name.length === 0) return { ok: false, error: "event name is empty" };
  if (name.length > MAX_NAME_LENGTH) {
    return { ok: false, error: `event name "${name.slice(0, 20)}…" is longer than ${MAX_NAME_LENGTH}` };
  }
  if (FAMILIES.includes(name)) return { ok: true };
  if ((TRUNK_EVENT_TYPES as readonly string[]).includes(name)) return { ok: true };
  if ((MEDIA_EVENT_TYPES as readonly string[]).includes(name)) return { ok: true };
  if ((CALL_EVENT_TYPES as readonly string[]).includes(name) || name === DTMF_EVENT_TYPE) return { ok: true };
  if ((REGISTRATION_EVENT_TYPES as readonly string[]).includes(name)) return { ok: true };
  if (name.startsWith("sip.")) {
    const rest = name.slice(4);
    if (/^[0-9]+$/.test(rest)) {
      return STATUS_CODE.test(rest)
        ? { ok: true }
        : { ok: false, error: `unknown event "${name}": a status code must be 100–699` };
    }
    if (STATUS_CLASS.test(rest)) return { ok: true };
    if (/^[0-9]xx$/i.test(rest)) {
      return { ok: false, error: `unknown event "${name}": a status class is 1xx–6xx` };
    }
    if (SIP_TOKEN.test(rest)) return { ok: true };
    return { ok: false, error: `unknown event "${name}": "${rest}" is not a SIP method token` };
  }
  return { ok: false, error: `unknown event "${name}"` };
}

/** Validates a callback's `events` list; the error names the first bad entry. */
export function validateEventNames(names: string[]): EventNamesResult {
  if (!Array.isArray(names)) return { ok: false, error: "events must be an array of event names" };
  if (names.length === 0) return { ok: false, error: "events must name at least one event" };
  if (names.length > MAX_EVENT_NAMES) {
    return { ok: false, error: `events lists ${names.length} names; at most ${MAX_EVENT_NAMES}` };
  }
  for (const [i, name] of names.entries()) {
    const r = validateEventName(name);
    if (!r.ok) return { ok: false, error: `events[${i}]: ${r.error}` };
  }
  return { ok: true };
}
