/**
 * The header object the parser and `createHeader` produce: a plain `SipHeader` plus a private
 * slot caching its typed value. (A WeakMap keyed by header objects was the first design; with
 * hundreds of thousands of short-lived headers per second its ephemeron bookkeeping dominated
 * garbage collection, so the cache lives on the object, invisible to equality and JSON.)
 */
import type { SipResult } from "../message/errors.js";
import type { SipHeader } from "../message/types.js";

/**
 * Until a line is parsed: the message bytes its value was sliced from, `value.charCodeAt(i)`
 * standing at `bytes[off + i]` (see `byte-scan.ts`), so that parsing it on first access needs no
 * copy. Kept in the cache slot (no field of its own on every line) for the long values parsed on
 * first access only: credentials (RFC 3261 §20.7, §20.28).
 */
class Source {
  readonly bytes: Uint8Array;
  readonly off: number;
  constructor(bytes: Uint8Array, off: number) {
    this.bytes = bytes;
    this.off = off;
  }
}

export class HeaderLine implements SipHeader {
  readonly name: string;
  readonly key: string;
  readonly value: string;
  #parsed: SipResult<unknown> | Source | undefined;

  /** `parsed`: the typed value (or error) when the caller already has it (the message parser). */
  constructor(name: string, key: string, value: string, parsed?: SipResult<unknown>) {
    this.name = name;
    this.key = key;
    this.value = value;
    this.#parsed = parsed;
  }

  /**
   * Keeps, on a line from the message parser not parsed yet, the bytes its value was sliced from
   * (`bytes` at `off`) for a parse on first access (the message's body is a view of them anyway).
   */
  static keepSource(h: HeaderLine, bytes: Uint8Array, off: number): void {
    h.#parsed = new Source(bytes, off);
  }

  /** The cached typed value of `h`, when `h` is a HeaderLine that was parsed before. */
  static cached(h: SipHeader): SipResult<unknown> | undefined {
    if (!(h instanceof HeaderLine)) return undefined;
    const p = h.#parsed;
    return p instanceof Source ? undefined : p;
  }

  /** The bytes `h.value` was sliced from (see {@link Source}) and its offset in them, when kept. */
  static source(h: SipHeader): Source | undefined {
    if (!(h instanceof HeaderLine)) return undefined;
    const p = h.#parsed;
    return p instanceof Source ? p : undefined;
  }

  /** Caches `r` on `h` when `h` is a HeaderLine (plain objects are simply re-parsed next time). */
  static remember(h: SipHeader, r: SipResult<unknown>): void {
    if (h instanceof HeaderLine) h.#parsed = r;
  }
}
