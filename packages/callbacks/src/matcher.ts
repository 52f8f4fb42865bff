/**
 * Which callbacks an event goes to: the account's callbacks and the call's own callbacks whose
 * event names cover the event's type and whose CEL filter (compiled once per callback, cached)
 * says yes. A filter that fails at run time counts as no match and is counted and logged.
 *
 * Each account's enabled callbacks are cached (rows parsed once, grouped by call). Callbacks change
 * through the console API, in this process or another one on the same file, so before each use the
 * cached set is checked against a one-row version query (count, max and sum of `updated_at` over the
 * account's callbacks: a few µs, no rows built); any change reloads it. An entry is also reloaded
 * after `CACHE_TTL_MS`, which bounds the one change the version misses (a second edit of the
 * same row within the same millisecond).
 */
import type { Callback, Database } from "@hookline/db";
import type { HooklineEvent } from "./events.js";
import { eventCallId } from "./events.js";
import type { CompiledFilter } from "./filter.js";
import { compileFilter } from "./filter.js";
import type { Logger } from "./logger.js";
import { statements } from "./statements.js";

const CACHE_TTL_MS = 1000;
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
  version: string;
  loadedAt: number;
  /** Callbacks of the account itself (no call id). */
  account: readonly Callback[];
  byCall: Map<string, Callback[]>;
}

export class Matcher {
  readonly stats: MatcherStats = { filterErrors: 0, cacheLoads: 0 };
  readonly #filters = new Map<string, { source: string; filter: CompiledFilter | null }>();
  readonly #accounts = new Map<string, AccountCallbacks>();
  readonly #logger: Logger;
  readonly #s;
  #lastErrorLogAt = 0;

  constructor(db: Database, logger: Logger) {
    this.#logger = logger;
    this.#s = statements(db);
  }

  match(event: HooklineEvent): Callback[] {
    const cached = this.#callbacksOf(event.data.accountId);
    const callId = eventCallId(event);
    const ofCall = callId === null ? NONE : (cached.byCall.get(callId) ?? NONE);
    const out: Callback[] = [];
    for (const list of [cached.account, ofCall]) {
      for (const cb of list) {
        if (namesCover(cb.events, event.type) && this.#passesFilter(cb, event)) out.push(cb);
      }
    }
    return out;
  }

  #callbacksOf(accountId: string): AccountCallbacks {
    const v = this.#s.callbacksVersionOfAccount.get({ accountId });
    const version = v ? `${v.n}:${v.max ?? 0}:${v.sum}` : "0";
    const now = Date.now();
    const cached = this.#accounts.get(accountId);
    if (cached && cached.version === version && now - cached.loadedAt < CACHE_TTL_MS) return cached;
    this.stats.cacheLoads++;
    const account: Callback[] = [];
    const byCall = new Map<string, Callback[]>();
    for (const cb of this.#s.enabledCallbacksOfAccount.all({ accountId })) {
      if (cb.callId === null) account.push(cb);
      else {
        const list = byCall.get(cb.callId);
        if (list) list.push(cb);
        else byCall.set(cb.callId, [cb]);
      }
    }
    const entry: AccountCallbacks = { version, loadedAt: now, account, byCall };
    this.#accounts.set(accountId, entry);
    return entry;
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
