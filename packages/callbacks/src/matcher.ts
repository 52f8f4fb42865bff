/**
 * Which callbacks an event goes to: the account's callbacks and the call's own callbacks whose
 * event names cover the event's type and whose CEL filter (compiled once per callback, cached)
 * says yes. A filter that fails at run time counts as no match and is counted and logged.
 */
import type { Callback, Database } from "@hookline/db";
import type { HooklineEvent } from "./events.js";
import { eventCallId } from "./events.js";
import type { CompiledFilter } from "./filter.js";
import { compileFilter } from "./filter.js";
import type { Logger } from "./logger.js";
import { statements } from "./statements.js";

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
}

export class Matcher {
  readonly stats: MatcherStats = { filterErrors: 0 };
  readonly #filters = new Map<string, { source: string; filter: CompiledFilter | null }>();
  readonly #logger: Logger;
  readonly #query;
  #lastErrorLogAt = 0;

  constructor(db: Database, logger: Logger) {
    this.#logger = logger;
    const s = statements(db);
    this.#query = (accountId: string, callId: string | null): Callback[] =>
      callId === null
        ? s.accountCallbacks.all({ accountId })
        : s.accountAndCallCallbacks.all({ accountId, callId });
  }

  match(event: HooklineEvent): Callback[] {
    const candidates = this.#query(event.data.accountId, eventCallId(event));
    return candidates.filter((cb) => namesCover(cb.events, event.type) && this.#passesFilter(cb, event));
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
