/**
 * Interned lower-case names (parameter names: `branch`, `tag`, `nonce`, ...) found by their bytes
 * without slicing or lower-casing: one hash pass over the name, one probe, one comparison. Names
 * compare case-insensitively (RFC 3261 §7.3.1, §19.1.4, §25.1). The `| 0x20` fold is exact on
 * token characters (it only merges letter cases; `_` and `^` fold onto characters that are not
 * token characters), so the table must hold token names only.
 */

/**
 * A lookup `b[start, end)` → the interned lower-case name, or undefined for a name not in the table.
 * `hash`, when given, is the name's hash folded with {@link internHashStep} by a caller that already
 * read its bytes (checking its token characters): the lookup then reads them once more, to compare.
 */
export type InternLookup = (b: Uint8Array, start: number, end: number, hash?: number) => string | undefined;

/** One step of the name hash over a byte `c`; `| 0x20` folds A-Z onto a-z. */
export function internHashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + (c | 0x20)) | 0;
}

export function internTable(words: readonly string[]): InternLookup {
  let size = 16;
  while (size < words.length * 4) size *= 2;
  const mask = size - 1;
  const slots = new Int16Array(size);
  const codes = new Uint8Array(words.reduce((n, w) => n + w.length, 0));
  const at: number[] = [];
  const len: number[] = [];
  words.forEach((w, e) => {
    if (w !== w.toLowerCase()) throw new TypeError(`intern table words are lower-case: ${w}`);
    const a = e === 0 ? 0 : (at[e - 1] as number) + (len[e - 1] as number);
    let h = 0;
    for (let k = 0; k < w.length; k++) {
      codes[a + k] = w.charCodeAt(k) | 0x20;
      h = internHashStep(h, w.charCodeAt(k));
    }
    at.push(a);
    len.push(w.length);
    let slot = h & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = e + 1;
  });
  return (b, start, end, hash) => {
    const n = end - start;
    let h = 0;
    if (hash !== undefined) h = hash;
    else for (let k = start; k < end; k++) h = internHashStep(h, b[k] as number);
    let slot = h & mask;
    for (;;) {
      const e = (slots[slot] as number) - 1;
      if (e < 0) return undefined;
      if (len[e] === n) {
        const a = at[e] as number;
        let k = 0;
        while (k < n && ((b[start + k] as number) | 0x20) === codes[a + k]) k++;
        if (k === n) return words[e];
      }
      slot = (slot + 1) & mask;
    }
  };
}

/**
 * A lookup `b[start, end)` → the word that starts it exactly as written (lower case) and is
 * followed at once by the byte `next` (inside the range), or undefined: then the caller scans the
 * name and asks the {@link internTable} (another case, whitespace before `next`, another name).
 * One comparison pass and no hash for the usual spelling; the words are lower-case tokens, so
 * bytes equal to them are token characters.
 */
export type InternBefore = (b: Uint8Array, start: number, end: number) => string | undefined;

export function internBefore(words: readonly string[], next: number): InternBefore {
  // Words by first byte: `order[at[c] .. at[c + 1])`, in the order given (the usual ones first).
  const at = new Int16Array(129);
  const order: string[] = [];
  for (let c = 0; c < 128; c++) {
    at[c] = order.length;
    for (const w of words) if (w.charCodeAt(0) === c) order.push(w);
    at[c + 1] = order.length;
  }
  const codes = order.map((w) => Uint8Array.from(w, (ch) => ch.charCodeAt(0)));
  for (const w of words) {
    if (w.length === 0 || w !== w.toLowerCase()) throw new TypeError(`words are lower-case: ${w}`);
  }
  return (b, start, end) => {
    const c0 = b[start] as number;
    if (c0 >= 128) return undefined;
    const last = at[c0 + 1] as number;
    for (let k = at[c0] as number; k < last; k++) {
      const w = codes[k] as Uint8Array;
      const n = w.length;
      if (start + n >= end || b[start + n] !== next) continue;
      let i = 1;
      while (i < n && b[start + i] === w[i]) i++;
      if (i === n) return order[k];
    }
    return undefined;
  };
}
