/**
 * `X-Hookline-Callback: <https://app.example/hook>;events="sip.BYE,sip.INFO";filter="..."`
 * (SPEC §4): a name-addr-like URL in angle brackets followed by `;name=value` parameters whose
 * values are tokens or quoted strings (RFC 3261 §25.1 quoted-string, `\"` escapes).
 */
import { validateEventNames } from "./event-names.js";

export type CallbackHeaderResult =
  { ok: true; url: string; events: string[]; filter: string | null } | { ok: false; error: string };

export function parseCallbackHeader(value: string): CallbackHeaderResult {
  const s = value.trim();
  if (!s.startsWith("<")) return { ok: false, error: "X-Hookline-Callback must start with <url>" };
  const close = s.indexOf(">");
  if (close < 0) return { ok: false, error: "X-Hookline-Callback has no closing >" };
  const url = s.slice(1, close).trim();
  if (url === "") return { ok: false, error: "X-Hookline-Callback has an empty url" };
  const params = new Map<string, string>();
  let i = close + 1;
  while (i < s.length) {
    while (s[i] === " " || s[i] === "\t") i++;
    if (i >= s.length) break;
    if (s[i] !== ";") return { ok: false, error: `X-Hookline-Callback: expected ";" at offset ${i}` };
    i++;
    while (s[i] === " " || s[i] === "\t") i++;
    const nameMatch = /^[A-Za-z0-9\-_.]+/.exec(s.slice(i));
    if (!nameMatch)
      return { ok: false, error: `X-Hookline-Callback: expected a parameter name at offset ${i}` };
    const name = nameMatch[0].toLowerCase();
    i += nameMatch[0].length;
    while (s[i] === " " || s[i] === "\t") i++;
    let val = "";
    if (s[i] === "=") {
      i++;
      while (s[i] === " " || s[i] === "\t") i++;
      if (s[i] === '"') {
        i++;
        let closed = false;
        while (i < s.length) {
          const c = s[i];
          if (c === "\\" && i + 1 < s.length) {
            val += s[i + 1];
            i += 2;
          } else if (c === '"') {
            closed = true;
            i++;
            break;
          } else {
            val += c;
            i++;
          }
        }
        if (!closed) return { ok: false, error: `X-Hookline-Callback: unterminated quoted ${name}` };
      } else {
        const tok = /^[^;\s]*/.exec(s.slice(i))?.[0] ?? "";
        val = tok;
        i += tok.length;
      }
    }
    if (params.has(name)) return { ok: false, error: `X-Hookline-Callback: duplicate parameter ${name}` };
    params.set(name, val);
  }
  const eventsParam = params.get("events");
  if (eventsParam === undefined || eventsParam.trim() === "") {
    return { ok: false, error: 'X-Hookline-Callback needs events="..."' };
  }
  const events = eventsParam
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  const valid = validateEventNames(events);
  if (!valid.ok) return { ok: false, error: `X-Hookline-Callback: ${valid.error}` };
  return { ok: true, url, events, filter: params.get("filter") ?? null };
}
