/**
 * The scanning helpers of `scan.ts` over byte stand-ins of a string, for the parsers on the hot
 * path (Via, From/To/Contact, CSeq, Call-ID, Content-Type, the Request-URI).
 *
 * Why bytes: V8 compiles `charCodeAt` to a dispatch on the string's representation (sliced, cons,
 * one- or two-byte) at every call, and header values are sliced strings; a typed-array load is a
 * plain load. A parser therefore reads `b[o + i]` for `s.charCodeAt(i)` and slices `s` only for
 * the parts it returns. For a message from the wire `b` is the input bytes themselves (`o` the
 * value's offset), so no copy is made; for any other string {@link shadow} builds the stand-ins.
 *
 * Stand-in rule: ASCII units are themselves, every other unit is a byte >= 0x80. No rule of the
 * RFC 3261 §25.1 grammar distinguishes between non-ASCII characters (they only appear as
 * UTF8-NONASCII inside quoted strings and text), so the parsers take the same decisions on the
 * stand-ins as on the string. Positions `i` are string positions; `n` is `s.length`.
 */
import { TOKEN } from "./scan.js";
import type { ParamList } from "./param-list.js";

/** Byte stand-ins for the UTF-16 units of `s`: ASCII as is, anything else as 0x80. */
export function shadow(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0x80;
  }
  return out;
}

let scratch = Buffer.allocUnsafeSlow(1024);

/**
 * {@link shadow} into one buffer reused from call to call, returned as a view of exactly
 * `s.length` units (reads past the end give undefined, as on a fresh copy). For a caller that uses
 * the stand-ins during its own call only and never re-enters: `parseHeaderLineWith`. A fresh
 * `Uint8Array` over 64 bytes lives outside V8's heap and cost more to make than parsing a long
 * credentials line; and an ASCII string (as many bytes as units) is copied by the UTF-8 encoder,
 * several times faster than `charCodeAt` on the sliced strings header values are.
 */
export function shadowOnce(s: string): Uint8Array {
  const n = s.length;
  if (n * 3 > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(n * 3, scratch.length * 2));
  if (scratch.write(s, 0, "utf8") !== n) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      scratch[i] = c < 0x80 ? c : 0x80;
    }
  }
  return new Uint8Array(scratch.buffer, scratch.byteOffset, n);
}

/** Index of the first non-SP/HTAB at or after `i`. */
export function skipWsAt(b: Uint8Array, o: number, i: number, n: number): number {
  while (i < n) {
    const c = b[o + i];
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** End (exclusive) of the run of RFC 3261 §25.1 token characters starting at `i`. */
export function scanTokenAt(b: Uint8Array, o: number, i: number, n: number): number {
  while (i < n && TOKEN[b[o + i] as number] === 1) i++;
  return i;
}

/** Whether `[i, j)` is a non-empty token. */
export function isTokenAt(b: Uint8Array, o: number, i: number, j: number): boolean {
  return j > i && scanTokenAt(b, o, i, j) === j;
}

/**
 * Whether `[i, j)` is `word [ "@" word ]` (RFC 3261 §25.1 callid; `word` is token characters and
 * ( ) < > : \\ " / [ ] ? { }): in one pass, at most one `@`, with a non-empty word on either side.
 */
export function isCallIdAt(b: Uint8Array, o: number, i: number, j: number): boolean {
  if (j <= i) return false;
  let at = -1;
  for (let k = i; k < j; k++) {
    const c = b[o + k] as number;
    if (WORD[c] === 1) continue;
    if (c !== 0x40 || at >= 0 || k === i || k === j - 1) return false;
    at = k;
  }
  return true;
}

const WORD = new Uint8Array(256);
WORD.set(TOKEN);
for (const ch of '()<>:\\"/[]?{}') WORD[ch.charCodeAt(0)] = 1;

/** End (after the closing quote) of the quoted-string at `i` (a `"`), honouring quoted-pairs; -1 when unterminated. */
export function scanQuotedAt(b: Uint8Array, o: number, i: number, n: number): number {
  i++;
  while (i < n) {
    const c = b[o + i];
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return -1;
}

/** A decimal integer made only of the digits `[i, j)`, within [0, max]; leading zeros allowed. */
export function parseUintAt(b: Uint8Array, o: number, i: number, j: number, max: number): number | undefined {
  if (j <= i || j - i > 20) return undefined;
  let v = 0;
  for (let k = i; k < j; k++) {
    const d = (b[o + k] as number) - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return v <= max ? v : undefined;
}

/** End of the digit run starting at `i`. */
export function scanDigitsAt(b: Uint8Array, o: number, i: number, n: number): number {
  while (i < n) {
    const c = b[o + i] as number;
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** End of a host name / IPv4 address run (alphanum, `-`, `.`) starting at `i`. */
export function scanHostAt(b: Uint8Array, o: number, i: number, n: number): number {
  while (i < n) {
    const c = b[o + i] as number;
    const l = c | 0x20;
    if ((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) i++;
    else break;
  }
  return i;
}

/** RFC 3261 §25.1 IPv4address: four dot-separated decimal octets 0-255 of one to three digits. */
export function isIpv4At(b: Uint8Array, o: number, i: number, j: number): boolean {
  let dots = 0;
  let digits = 0;
  let v = 0;
  for (let k = i; k < j; k++) {
    const c = b[o + k] as number;
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      v = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      if (++digits > 3 || v > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/**
 * Same grammar and result as `parseParams` in `scan.ts` (RFC 3261 §25.1 generic-param list), the
 * parameters pushed as `name, value` pairs onto `params` (see `param-list.ts`). With `params`
 * undefined the list is only checked (same end, nothing sliced or stored).
 */
export function parseParamsAt(
  s: string,
  b: Uint8Array,
  o: number,
  i: number,
  params: ParamList | undefined,
): number {
  const n = s.length;
  for (;;) {
    i = skipWsAt(b, o, i, n);
    if (i >= n || b[o + i] !== 0x3b) return i;
    i = skipWsAt(b, o, i + 1, n);
    const nameEnd = scanTokenAt(b, o, i, n);
    if (nameEnd === i) return -1;
    const name = params === undefined ? "" : paramName(s, b, o, i, nameEnd);
    i = skipWsAt(b, o, nameEnd, n);
    if (i < n && b[o + i] === 0x3d) {
      i = skipWsAt(b, o, i + 1, n);
      if (i >= n) return -1;
      let end: number;
      if (b[o + i] === 0x22) {
        end = scanQuotedAt(b, o, i, n);
        if (end < 0) return -1;
      } else {
        // gen-value = token / host / quoted-string; hosts add ":" "[" "]" for IPv6 references.
        end = i;
        while (end < n) {
          const c = b[o + end] as number;
          if (TOKEN[c] === 1 || c === 0x3a || c === 0x5b || c === 0x5d) end++;
          else break;
        }
        if (end === i) return -1;
      }
      if (params !== undefined) params.push(name, s.slice(i, end));
      i = end;
    } else if (params !== undefined) {
      params.push(name, null);
    }
  }
}

/**
 * Parameter names common on the wire, interned (no slice and no lower-casing for them), by length:
 * at most two candidates are compared.
 */
const COMMON_PARAMS: ReadonlyArray<readonly string[]> = (() => {
  const byLength: string[][] = [];
  for (let k = 0; k <= 9; k++) byLength.push([]);
  for (const p of ["branch", "tag", "transport", "lr", "ob", "rport", "received", "expires", "q", "user"])
    (byLength[p.length] as string[]).push(p);
  return byLength;
})();

/** The lower-cased parameter name `[i, j)` (token characters). */
function paramName(s: string, b: Uint8Array, o: number, i: number, j: number): string {
  const candidates = COMMON_PARAMS[j - i];
  if (candidates !== undefined)
    for (let k = 0; k < candidates.length; k++) {
      const p = candidates[k] as string;
      if (equalsLowerAt(b, o, i, j, p)) return p;
    }
  return s.slice(i, j).toLowerCase();
}

/**
 * The top-level comma-separated parts of `[0, n)` (RFC 3261 §7.3.1: commas inside quoted strings
 * and `<...>` do not split), as trimmed `[start, end)` pairs, flattened. Same parts as `splitCommas`.
 */
export function splitCommasAt(b: Uint8Array, o: number, n: number): number[] {
  const out: number[] = [];
  let start = 0;
  let inAngle = false;
  let i = 0;
  for (; i < n; i++) {
    const c = b[o + i];
    if (c === 0x22) {
      const end = scanQuotedAt(b, o, i, n);
      if (end < 0) break; // unterminated: the rest is one part, its parser reports the error
      i = end - 1;
    } else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      pushTrimmed(out, b, o, start, i);
      start = i + 1;
    }
  }
  pushTrimmed(out, b, o, start, n);
  return out;
}

function pushTrimmed(out: number[], b: Uint8Array, o: number, a: number, e: number): void {
  while (a < e && (b[o + a] === 0x20 || b[o + a] === 0x09)) a++;
  while (e > a && (b[o + e - 1] === 0x20 || b[o + e - 1] === 0x09)) e--;
  out.push(a, e);
}

/**
 * Whether `[i, j)` equals `lower` ignoring ASCII case. `lower` must be lower-case letters (the
 * `| 0x20` fold is exact only for letters); the units compared are token characters.
 */
export function equalsLowerAt(b: Uint8Array, o: number, i: number, j: number, lower: string): boolean {
  if (j - i !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    if (((b[o + i + k] as number) | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}
