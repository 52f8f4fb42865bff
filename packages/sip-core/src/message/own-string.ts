/**
 * A string of its own: one flat copy of exactly `s`'s characters. A value taken from a parsed
 * message (a URI, a Call-ID, a transaction key concatenated from them) is a V8 sliced or cons
 * string that keeps the whole message text alive; what outlives the message (a transaction waiting
 * out its timers, a call's record, an ended leg kept for 64*T1, RFC 6026) takes a copy instead. A
 * substring would still be a sliced string; a JSON round trip builds a fresh flat one. Values only
 * looked up are never copied.
 */
export function ownString(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
