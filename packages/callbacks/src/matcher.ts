/**
 * Which callbacks an event goes to: the account's callbacks and the call's own callbacks whose
 * event names cover the event's type and whose CEL filter (compiled once per callback, cached)
 * says yes. A filter that fails at run time counts as no match and is counted and logged.
 *
 * Callbacks are cached per account: the account's own, parsed once, and each call's own, loaded on
 * the call's first event. Callbacks change through the console API, the in-SIP header, or the
 * dispatcher (410 disables one), in this process or another one on the same file, so before each
 * use the cache is checked against the account's change counter in `callbacks_version`, which
 * triggers bump on every write to `callbacks` (a primary-key read, about 1 µs); any change drops
 * the account's entry.
 */
import type { Callback } from "@hookline/db";
import type { HooklineEvent } from "./events.js";
import { eventCallId } from "./events.js";
import type { CompiledFilter } from "./filter.js";
import { compileFilter } from "./filter.js";
import type { Logger } from "./logger.js";
import type { CallbacksReader } from "./store/callback-store.js";

/** Calls whose callbacks one account's entry remembers before it starts over (ended calls linger). */
const MAX_CACHED_CALLS = 4096;
const NONE: readonly Callback[] = [];

/** Whether a subscription name (`sip.BYE`, `sip.4xx`, `sip.*`, `call.*`...) covers an event type. */
export function nameCovers(name: string, type: string): boolean {
  if (name === type) return true;
  if (name.endsWith(".*")) return type.startsWith(name.slice(0, -1));
  // `sip.4xx` covers `sip.4dd`.
  if (/^sip\.[1-6]xx$/.test(name)) return /^sip\.[1-6][0-9]{2}$/.test(type) && type[4] === name[4];
  return false;
}

export function namesCover(names: readonly string[], type: string): boolean {
  return names.some((n) => nameCovers(n, type));
}

export interface MatcherStats {
  filterErrors: number;
  /** Times an account's callbacks were (re)loaded from the database. */
  cacheLoads: number;
}

interface AccountCallbacks {
  version: number;
  /** Callbacks of the account itself (no call id). */
  account: readonly Callback[];
  /** Each call's own callbacks, by call id, filled as the call's events arrive. */
  byCall: Map<string, readonly Callback[]>;
}

export class Matcher {
  readonly stats: MatcherStats = { filterErrors: 0, cacheLoads: 0 };
  readonly #filters = new Map<string, { source: string; filter: CompiledFilter | null }>();
  readonly #accounts = new Map<string, AccountCallbacks>();
  readonly #logger: Logger;
  readonly #reader: CallbacksReader;
  #lastErrorLogAt = 0;
  /** Accounts whose counter was read in the current batch (see `batch`), or null outside one. */
  #checked: Set<string> | null = null;

  constructor(reader: CallbacksReader, logger: Logger) {
    this.#logger = logger;
    this.#reader = reader;
  }

  /**
   * For an asynchronous database: loads what matching these events reads (one round trip per
   * batch, not per event). Undefined when the reader is synchronous (SQLite): nothing to wait for.
   */
  prepare(events: readonly HooklineEvent[]): Promise<void> | undefined {
    if (!this.#reader.prepare) return undefined;
    return this.#reader.prepare(events.map((e) => ({ accountId: e.data.accountId, callId: eventCallId(e) })));
  }

  /**
   * Runs `fn`, in which `match` reads each account's change counter only the first time: for a
   * batch of events taken from the queue at one moment, so they all see the callbacks of then.
   */
  batch(fn: () => void): void {
    this.#checked = new Set();
    try {
      fn();
    } finally {
      this.#checked = null;
    }
  }

  match(event: HooklineEvent): Callback[] {
    const accountId = event.data.accountId;
    const cached = this.#callbacksOf(accountId);
    const callId = eventCallId(event);
    const ofCall = callId === null ? NONE : this.#callbacksOfCall(cached, accountId, callId);
    const out: Callback[] = [];
    for (const list of [cached.account, ofCall]) {
      for (const cb of list) {
        if (namesCover(cb.events, event.type) && this.#passesFilter(cb, event)) out.push(cb);
      }
    }
    return out;
  }

  #callbacksOf(accountId: string): AccountCallbacks {
    const cached = this.#accounts.get(accountId);
    if (cached && this.#checked?.has(accountId)) return cached;
    this.#checked?.add(accountId);
    const version = this.#reader.version(accountId);
    if (cached && cached.version === version) return cached;
    this.stats.cacheLoads++;
    const entry: AccountCallbacks = {
      version,
      account: this.#reader.accountCallbacks(accountId),
      byCall: new Map(),
    };
    this.#accounts.set(accountId, entry);
    return entry;
  }

  #callbacksOfCall(entry: AccountCallbacks, accountId: string, callId: string): readonly Callback[] {
    let list = entry.byCall.get(callId);
    if (list === undefined) {
      if (entry.byCall.size >= MAX_CACHED_CALLS) entry.byCall.clear();
      const rows = this.#reader.callCallbacks(accountId, callId);
      list = rows.length === 0 ? NONE : rows;
      entry.byCall.set(callId, list);
    }
    return list;
  }

  #passesFilter(cb: Callback, event: HooklineEvent): boolean {
    if (cb.filter === null || cb.filter === "") return true;
    let cached = this.#filters.get(cb.id);
    if (!cached || cached.source !== cb.filter) {
      const compiled = compileFilter(cb.filter);
      if (!compiled.ok) {
        // Refused at registration (SPEC §4); a row written around the API is treated as no match.
        this.#logger.warn({ callbackId: cb.id, error: compiled.error }, "callback filter does not compile");
      }
      cached = { source: cb.filter, filter: compiled.ok ? compiled.filter : null };
      this.#filters.set(cb.id, cached);
    }
    if (!cached.filter) return false;
    const r = cached.filter.evaluate(event);
    if (r.ok) return r.match;
    this.stats.filterErrors++;
    const now = Date.now();
    if (now - this.#lastErrorLogAt > 1000) {
      this.#lastErrorLogAt = now;
      this.#logger.warn(
        { callbackId: cb.id, type: event.type, error: r.error, filterErrors: this.stats.filterErrors },
        "callback filter failed at run time; counted as no match",
      );
    }
    return false;
  }
}
