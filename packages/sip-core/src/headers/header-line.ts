/**
 * The header object the parser and `createHeader` produce: a plain `SipHeader` plus a private
 * slot caching its typed value. (A WeakMap keyed by header objects was the first design; with
 * hundreds of thousands of short-lived headers per second its ephemeron bookkeeping dominated
 * garbage collection, so the cache lives on the object, invisible to equality and JSON.)
 */
import type { SipResult } from "../message/errors.js";
import type { SipHeader } from "../message/types.js";

export class HeaderLine implements SipHeader {
  readonly name: string;
  readonly key: string;
  readonly value: string;
  #parsed: SipResult<unknown> | undefined;

  /** `parsed`: the typed value (or error) when the caller already has it (the message parser). */
  constructor(name: string, key: string, value: string, parsed?: SipResult<unknown>) {
    this.name = name;
    this.key = key;
    this.value = value;
    this.#parsed = parsed;
  }

  /** The cached typed value of `h`, when `h` is a HeaderLine that was parsed before. */
  static cached(h: SipHeader): SipResult<unknown> | undefined {
    return h instanceof HeaderLine ? h.#parsed : undefined;
  }

  /** Caches `r` on `h` when `h` is a HeaderLine (plain objects are simply re-parsed next time). */
  static remember(h: SipHeader, r: SipResult<unknown>): void {
    if (h instanceof HeaderLine) h.#parsed = r;
  }
}
