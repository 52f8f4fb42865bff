/**
 * Header access on a message: lookup by canonical key (case-insensitive names and compact forms,
 * RFC 3261 §7.3.1, §7.3.3), comma-split multi-value headers, and set/append/remove helpers that
 * keep the other headers verbatim and in order.
 */
import type { SipHeader, SipMessage } from "../message/types.js";
import { HeaderLine } from "./header-line.js";
import { headerDisplayName, headerKey, NON_SPLIT } from "./header-names.js";
import { splitCommas } from "./scan.js";

type HasHeaders = Pick<SipMessage, "headers">;

/** Creates a header, rejecting CR/LF in the value (header injection is a programming error). */
export function createHeader(nameOrKey: string, value: string): SipHeader {
  if (/[\r\n]/.test(value) || /[\r\n:\s]/.test(nameOrKey) || nameOrKey.length === 0) {
    throw new TypeError(`invalid header ${JSON.stringify(nameOrKey)}: ${JSON.stringify(value)}`);
  }
  const key = headerKey(nameOrKey);
  const name = nameOrKey === key ? headerDisplayName(key) : nameOrKey;
  return new HeaderLine(name, key, value);
}

/** The first value of a header (raw, not comma-split), or undefined. */
export function getHeader(m: HasHeaders, key: string): string | undefined {
  const k = headerKey(key);
  for (const h of m.headers) if (h.key === k) return h.value;
  return undefined;
}

/** All header lines with this key, in order. */
export function getHeaderLines(m: HasHeaders, key: string): SipHeader[] {
  const k = headerKey(key);
  return m.headers.filter((h) => h.key === k);
}

/**
 * All values of a header in order, comma-separated values split (RFC 3261 §7.3.1), except for
 * headers whose grammar contains commas (auth headers, Date, ...) which are returned per line.
 */
export function getHeaders(m: HasHeaders, key: string): string[] {
  const k = headerKey(key);
  const out: string[] = [];
  const split = !NON_SPLIT.has(k);
  for (const h of m.headers) {
    if (h.key !== k) continue;
    if (split) for (const v of splitCommas(h.value)) out.push(v);
    else out.push(h.value);
  }
  return out;
}

export function hasHeader(m: HasHeaders, key: string): boolean {
  const k = headerKey(key);
  return m.headers.some((h) => h.key === k);
}

/** Replaces every line of the header with one line at the position of the first (or at the end). */
export function setHeader(m: HasHeaders, name: string, value: string): void {
  const h = createHeader(name, value);
  const first = m.headers.findIndex((x) => x.key === h.key);
  if (first < 0) {
    m.headers.push(h);
    return;
  }
  m.headers = m.headers.filter((x, i) => i === first || x.key !== h.key);
  m.headers[first] = h;
}

/** Appends a header line after all others. */
export function appendHeader(m: HasHeaders, name: string, value: string): void {
  m.headers.push(createHeader(name, value));
}

/** Inserts a header line before all others with the same key (e.g. a new top Via, RFC 3261 §16.6). */
export function prependHeader(m: HasHeaders, name: string, value: string): void {
  const h = createHeader(name, value);
  const first = m.headers.findIndex((x) => x.key === h.key);
  if (first < 0) m.headers.push(h);
  else m.headers.splice(first, 0, h);
}

/** Removes every line of the header; returns how many were removed. */
export function removeHeader(m: HasHeaders, key: string): number {
  const k = headerKey(key);
  const before = m.headers.length;
  m.headers = m.headers.filter((h) => h.key !== k);
  return before - m.headers.length;
}
