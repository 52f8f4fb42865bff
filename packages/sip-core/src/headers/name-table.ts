/**
 * Header-name lookup for the framing parser without allocating: the parser hashes the name while
 * it checks the token characters (RFC 3261 §25.1 `token`, §7.3.1 case-insensitive), then this
 * table maps the hash to an interned canonical key and the usual spelling. A name spelled exactly
 * as usual (`Via`, `Call-ID`, `v`) reuses the interned string, so a typical message allocates no
 * name strings and later `key` comparisons are pointer comparisons. Unknown names return -1 and the
 * caller falls back to `headerKey`.
 */
import { COMPACT_FORMS, headerDisplayName, KNOWN_KEYS } from "./header-names.js";

/** One step of the name hash; `c | 0x20` folds A-Z to a-z and leaves the other token characters distinct. */
export function nameHashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + (c | 0x20)) | 0;
}

const SIZE = 512; // power of two, about 8x the entries: probes are short
const MASK = SIZE - 1;
/** Slot → entry index + 1 (0 = empty). */
const SLOTS = new Int16Array(SIZE);
/**
 * Character codes of every entry's lower-case name as written (`via`, `v`) and of its usual
 * spelling, packed: entry `e` has `LEN[e]` codes of each at `AT[e]` (comparing against a typed
 * array keeps the probe loop monomorphic on the wire string).
 */
const LOWER_CODES = new Uint8Array(4096);
const USUAL_CODES = new Uint8Array(4096);
const AT: number[] = [];
const LEN: number[] = [];
/** The usual spelling, reused when the wire matches it exactly. */
const USUAL: string[] = [];
/** Canonical key (`via` for both `Via` and `v`). */
const KEYS: string[] = [];

function add(lower: string, usual: string, key: string): void {
  let h = 0;
  for (let i = 0; i < lower.length; i++) h = nameHashStep(h, lower.charCodeAt(i));
  let slot = h & MASK;
  while (SLOTS[slot] !== 0) slot = (slot + 1) & MASK;
  const at = AT.length === 0 ? 0 : (AT[AT.length - 1] as number) + (LEN[LEN.length - 1] as number);
  for (let i = 0; i < lower.length; i++) {
    LOWER_CODES[at + i] = lower.charCodeAt(i);
    USUAL_CODES[at + i] = usual.charCodeAt(i);
  }
  AT.push(at);
  LEN.push(lower.length);
  USUAL.push(usual);
  KEYS.push(key);
  SLOTS[slot] = KEYS.length;
}

for (const key of KNOWN_KEYS) add(key, headerDisplayName(key), key);
for (const [short, key] of Object.entries(COMPACT_FORMS)) add(short, short, key);

/**
 * Looks up the header name `b[start, end)` (token characters) whose hash, folded with
 * {@link nameHashStep}, is `h`. Returns -1 for an unknown name, else `2 * entry + 1` when the name
 * is spelled exactly as usual (the interned {@link entryUsual} string can stand for it) and
 * `2 * entry` when only the case differs: one comparison loop answers both.
 */
export function lookupName(b: Uint8Array, start: number, end: number, h: number): number {
  const len = end - start;
  let slot = h & MASK;
  for (;;) {
    const e = (SLOTS[slot] as number) - 1;
    if (e < 0) return -1;
    if (LEN[e] === len) {
      const at = AT[e] as number;
      let i = 0;
      while (i < len && b[start + i] === USUAL_CODES[at + i]) i++;
      if (i === len) return 2 * e + 1;
      while (i < len && ((b[start + i] as number) | 0x20) === LOWER_CODES[at + i]) i++;
      if (i === len) return 2 * e;
    }
    slot = (slot + 1) & MASK;
  }
}

/**
 * Entries by the first byte of their usual spelling (`V`: Via, `v`: the compact Via), in table
 * order (the headers of every request first): `BY_FIRST[BY_FIRST_AT[c] .. BY_FIRST_AT[c + 1])`.
 */
const BY_FIRST_AT = new Int16Array(129);
const BY_FIRST = new Int16Array(KEYS.length);
for (let c = 0, k = 0; c < 128; c++) {
  BY_FIRST_AT[c] = k;
  for (let e = 0; e < KEYS.length; e++) if ((USUAL[e] as string).charCodeAt(0) === c) BY_FIRST[k++] = e;
  BY_FIRST_AT[c + 1] = k;
}

/**
 * The entry whose usual spelling (`Via`, `Call-ID`, `v`) starts the line `b[start, end)` and is
 * followed at once by the colon, or -1: then the line is anything else (another case, whitespace
 * before the colon, RFC 3261 §7.3.1; an unknown or malformed name) and the caller takes
 * {@link lookupName}'s way. One comparison pass, no hash: the usual spelling is a token, so bytes
 * equal to it are token characters.
 */
export function usualNameAt(b: Uint8Array, start: number, end: number): number {
  const c0 = b[start] as number;
  if (c0 >= 128) return -1;
  const last = BY_FIRST_AT[c0 + 1] as number;
  for (let k = BY_FIRST_AT[c0] as number; k < last; k++) {
    const e = BY_FIRST[k] as number;
    const len = LEN[e] as number;
    if (start + len >= end || b[start + len] !== 0x3a) continue;
    const at = AT[e] as number;
    let i = 1;
    while (i < len && b[start + i] === USUAL_CODES[at + i]) i++;
    if (i === len) return e;
  }
  return -1;
}

/** Number of entries (entries are `0 .. entryCount() - 1`). */
export function entryCount(): number {
  return KEYS.length;
}

/** The canonical key of entry `e`. */
export function entryKey(e: number): string {
  return KEYS[e] as string;
}

/** The interned usual spelling of entry `e` (`Via`, `Call-ID`, `v`). */
export function entryUsual(e: number): string {
  return USUAL[e] as string;
}

/** The length of entry `e`'s name. */
export function entryLength(e: number): number {
  return LEN[e] as number;
}
