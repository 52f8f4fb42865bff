/**
 * Low-level scanning shared by the typed header parsers: RFC 3261 §25.1 character classes,
 * linear whitespace, quoted strings and `;name=value` parameter lists. Every function is a single
 * forward pass (linear time) and reports failure by returning -1 / undefined, never by throwing.
 */

/**
 * RFC 3261 §25.1 `token` characters (alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
 * "'" / "~"): 1 for a token character. 256 entries so that a byte indexes it without a range check
 * (the upper half, non-ASCII, is 0).
 */
export const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) return false;
  }
  return true;
}

/** Removes leading and trailing SP/HTAB only (String.prototype.trim would also eat U+FEFF and NBSP). */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Index of the first non-SP/HTAB at or after `i` (values are already unfolded, so LWS is SP/HTAB). */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** End index (exclusive) of a token starting at `i`; equals `i` when there is none. */
export function scanToken(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) break;
    i++;
  }
  return i;
}

/**
 * End index (exclusive, after the closing quote) of a quoted-string starting at `i` (which must be
 * `"`), honouring quoted-pairs (RFC 3261 §25.1); -1 when unterminated.
 */
export function scanQuoted(s: string, i: number): number {
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return -1;
}

/** The content of a quoted-string with quoted-pairs resolved; input without quotes is returned as is. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf("\\") < 0) return inner;
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] as string;
    if (ch === "\\" && i + 1 < inner.length) {
      out += inner[i + 1];
      i++;
    } else out += ch;
  }
  return out;
}

/** A quoted-string for `s`, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair). */
export function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, (m) => "\\" + m) + '"';
}

/** Header or URI parameters in order: lower-cased name → value as written (quotes kept), `null` for a flag. */
export type Params = Map<string, string | null>;

/**
 * Parses `*( SWS ";" SWS name [ SWS "=" SWS value ] )` starting at `i` (RFC 3261 §25.1
 * generic-param). Values are tokens, host-like strings or quoted-strings. Stops (without error) at
 * the first character that cannot continue the list, returning its index; returns -1 on a
 * malformed parameter (e.g. `;;` or `;=x`). `stop` lists extra characters that may follow a value.
 */
export function parseParams(s: string, i: number, params: Params): number {
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.length || s.charCodeAt(i) !== 0x3b) return i;
    i = skipWs(s, i + 1);
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) return -1;
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipWs(s, nameEnd);
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      if (i >= s.length) return -1;
      let end: number;
      if (s.charCodeAt(i) === 0x22) {
        end = scanQuoted(s, i);
        if (end < 0) return -1;
      } else {
        end = scanParamValue(s, i);
        if (end === i) return -1;
      }
      params.set(name, s.slice(i, end));
      i = end;
    } else {
      params.set(name, null);
    }
  }
}

/** gen-value = token / host / quoted-string; hosts add ":" "[" "]" for IPv6 references. */
function scanParamValue(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if ((c < 128 && TOKEN[c] === 1) || c === 0x3a || c === 0x5b || c === 0x5d) i++;
    else break;
  }
  return i;
}

/** Serializes params as `;name=value` / `;flag` in insertion order. */
export function serializeParams(params: ReadonlyMap<string, string | null>): string {
  let out = "";
  for (const [k, v] of params) out += v === null ? ";" + k : ";" + k + "=" + v;
  return out;
}

/**
 * Splits a header value at top-level commas (RFC 3261 §7.3.1), ignoring commas inside quoted
 * strings and `<...>`. Returns trimmed parts; empty parts are kept so callers can reject them.
 */
export function splitCommas(s: string): string[] {
  if (s.indexOf(",") < 0) return [s];
  const parts: string[] = [];
  let start = 0;
  let inAngle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      const end = scanQuoted(s, i);
      if (end < 0) break; // unterminated: the rest is one part, its parser reports the error
      i = end - 1;
    } else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      parts.push(trimWs(s.slice(start, i)));
      start = i + 1;
    }
  }
  parts.push(trimWs(s.slice(start)));
  return parts;
}

/** Parses a decimal integer made only of digits, within [0, max]; leading zeros allowed. */
export function parseUint(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 20) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n <= max ? n : undefined;
}

export const UINT32_MAX = 4294967295;
