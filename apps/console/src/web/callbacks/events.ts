/**
 * The event picker's choices (SPEC §4): each family, its `*` and the names a tenant picks most.
 * Anything else the API accepts (`sip.487`, `sip.PRACK`, ...) goes in the "more events" field.
 */
export const EVENT_GROUPS: readonly { family: string; label: string; names: readonly string[] }[] = [
  {
    family: "sip.*",
    label: "SIP messages",
    names: [
      "sip.INVITE",
      "sip.ACK",
      "sip.BYE",
      "sip.CANCEL",
      "sip.INFO",
      "sip.MESSAGE",
      "sip.REFER",
      "sip.NOTIFY",
      "sip.UPDATE",
      "sip.OPTIONS",
      "sip.REGISTER",
      "sip.1xx",
      "sip.180",
      "sip.183",
      "sip.2xx",
      "sip.200",
      "sip.3xx",
      "sip.4xx",
      "sip.486",
      "sip.5xx",
      "sip.6xx",
    ],
  },
  {
    family: "call.*",
    label: "Calls",
    names: ["call.initiated", "call.ringing", "call.answered", "call.completed", "call.failed", "call.dtmf"],
  },
  {
    family: "registration.*",
    label: "Registrations",
    names: ["registration.created", "registration.refreshed", "registration.expired", "registration.removed"],
  },
  { family: "media.*", label: "Media", names: ["media.started", "media.timeout"] },
  { family: "trunk.*", label: "Trunks", names: ["trunk.up", "trunk.down"] },
];

const PICKED = new Set(EVENT_GROUPS.flatMap((g) => [g.family, ...g.names]));

/** The names the picker has no box for, as typed in "more events". */
export const extraEvents = (events: readonly string[]) => events.filter((e) => !PICKED.has(e));

/** Boxes ticked plus "more events" (comma- or space-separated), without repeats. */
export function eventsFromForm(ticked: string | string[] | undefined, more: string): string[] {
  const boxes = ticked === undefined ? [] : Array.isArray(ticked) ? ticked : [ticked];
  const typed = more.split(/[\s,]+/).filter((s) => s !== "");
  return [...new Set([...boxes, ...typed])];
}
