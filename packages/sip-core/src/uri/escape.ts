/** %-escaping of URI components (RFC 3261 §19.1.2, §25.1 `escaped`; RFC 3986 §2.1). */

const HEX = "0123456789ABCDEF";

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Resolves %XX escapes (bytes decoded as UTF-8); undefined when a `%` is not followed by two hex digits. */
export function unescapeComponent(s: string): string | undefined {
  if (s.indexOf("%") < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexVal(s.charCodeAt(i + 1));
      const lo = hexVal(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i] as string, "utf8")) bytes.push(b);
  }
  return Buffer.from(bytes).toString("utf8");
}

/** RFC 3261 §25.1 `unreserved` = alphanum / mark. */
const UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()";

function makeSet(extra: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of UNRESERVED + extra) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** Allowed unescaped in the user part: unreserved / user-unreserved. */
export const USER_CHARS = makeSet("&=+$,;?/");
/** Allowed unescaped in the password. */
export const PASSWORD_CHARS = makeSet("&=+$,");
/** Allowed unescaped in uri-parameter names and values: unreserved / param-unreserved. */
export const PARAM_CHARS = makeSet("[]/:&+$");
/** Allowed unescaped in URI header names and values: unreserved / hnv-unreserved. */
export const HEADER_CHARS = makeSet("[]/?:+$");

/** Escapes every character outside `allowed` as %XX of its UTF-8 bytes. */
export function escapeComponent(s: string, allowed: Uint8Array): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || allowed[c] !== 1) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    if (b < 128 && allowed[b] === 1) out += String.fromCharCode(b);
    else out += "%" + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}
