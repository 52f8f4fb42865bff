/**
 * Toll-fraud guard for calls out through a trunk (SPEC §3 trunks, the outbound path): per account
 * and per trunk, destination prefixes (deny-list wins over allow-list), concurrent calls, calls
 * per second, and a daily cap on outbound minutes. Each limit refuses AT the limit, never before:
 * with `maxConcurrent: 2`, the second call passes and the third is refused.
 *
 * Refusals (the status and reason go to the caller and onto the call record, SPEC §5 "Every call
 * is recorded"): 403 for a destination or the daily cap (retrying will not help today); 503 with
 * `retryAfterSec` for concurrency and rate (RFC 3261 §21.5.4: temporary, retry after).
 *
 * Daily minutes: the UTC day a call ENDS gets its whole `durationSec`. A call in progress counts
 * too, from its answer (`onCallAnswered`) to now, so parallel long calls cannot run far past the
 * cap unnoticed while none has ended; calls not yet answered count nothing (no minutes are billed
 * while ringing). After a restart the first admission of each account and trunk loads what ended
 * since UTC midnight through `minutesSince` (the wiring backs it with the calls table); from then
 * on this process adds what ends, and a new UTC day starts from zero.
 *
 * Concurrency counts calls from `onCallStarted` (first INVITE out) to `onCallEnded`.
 *
 * Several gateway nodes on one PostgreSQL (SPEC §2): `otherNodes` gives what the OTHER nodes carry,
 * as last read (@hookline/db cluster-usage.ts, refreshed every 2 s by trunk-guards.ts), and the
 * concurrency limit and the daily cap hold it added to this process's own figures. The figures
 * may be that old: two nodes can both admit the last slot (cluster-usage.ts states the bound).
 * Calls per second stays per node: a token bucket shared through the database would cost a round
 * trip per INVITE, so the cluster's rate is the per-node rate times the number of nodes.
 */
import { log as rootLog, type Logger } from "@hookline/log";
import type {
  AdmitOutboundRequest,
  OutboundCallEnded,
  OutboundCallStarted,
  TrunkAdmission,
} from "./ports.js";
import {
  checkPrefixes,
  matchingPrefix,
  TokenBucket,
  utcDay,
  utcMidnight,
  type FraudLimits,
} from "./fraud-guard-limits.js";

/** Why a call was refused, stable for code and metrics; the reason string is for people. */
export type FraudRefusalCode =
  | "destination_denied"
  | "destination_not_allowed"
  | "daily_minutes"
  | "concurrent_calls"
  | "calls_per_second";

export type FraudRefusal =
  | { ok: false; status: 403; reason: string; code: FraudRefusalCode }
  | { ok: false; status: 503; reason: string; code: FraudRefusalCode; retryAfterSec: number };

/** Assignable to the port's `AdmitOutboundResult`; a 503 also says when to retry. */
export type FraudGuardResult = { ok: true } | FraudRefusal;

/**
 * What the other gateway nodes on the shared database carry, as last read (cluster-usage.ts in
 * @hookline/db): answered from memory, never a query on the INVITE path. Of the account when
 * `trunkId` is null, else of that trunk of the account.
 */
export interface OtherNodesUsage {
  /** Their outbound trunk calls in progress, answered or not. */
  concurrent(accountId: string, trunkId: string | null): number;
  /** Their seconds toward the cap of `now`'s UTC day: calls ended that day, and answered ones in progress. */
  usedSec(accountId: string, trunkId: string | null, now: number): number;
}

/** An account or a trunk: its name (for reasons people read) and its limits. */
export interface LimitScope {
  name: string;
  limits: FraudLimits;
}

export interface FraudGuardOptions {
  /** The account's limits, read at every admission (so an API change applies to the next call). */
  account(accountId: string): LimitScope | undefined;
  trunk(trunkId: string): LimitScope | undefined;
  /** Epoch ms (fake time in tests). */
  now(): number;
  /**
   * Minutes of outbound calls that ENDED at or after `sinceUtcMidnight`: of the trunk, or of all
   * the account's trunks when `trunkId` is null. Synchronous: SQLite's statement, or on PostgreSQL
   * this node's minutes read once at start (@hookline/db trunk-minutes.ts).
   */
  minutesSince?(accountId: string, trunkId: string | null, sinceUtcMidnight: Date): number;
  /** PostgreSQL with several gateway nodes; absent (SQLite): this process is the whole truth. */
  otherNodes?: OtherNodesUsage | undefined;
  /** Retry-After on a concurrency refusal; default 5 s (a call rarely ends sooner). */
  concurrencyRetryAfterSec?: number;
  logger?: Logger;
}

interface ActiveCall {
  accountId: string;
  trunkId: string;
  answeredAt: number | null;
}

interface DayMinutes {
  day: string;
  /** Seconds of calls ended that day. */
  endedSec: number;
}

type ScopeKind = "account" | "trunk";

export class FraudGuard implements TrunkAdmission {
  readonly #o: FraudGuardOptions;
  readonly #log: Logger;
  readonly #active = new Map<string, ActiveCall>();
  readonly #concurrent = new Map<string, number>();
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #minutes = new Map<string, DayMinutes>();

  constructor(options: FraudGuardOptions) {
    this.#o = options;
    this.#log = options.logger ?? rootLog.child({ component: "trunk-guards" });
  }

  admitOutbound(request: AdmitOutboundRequest): FraudGuardResult {
    const now = this.#o.now();
    const scopes: Array<{ kind: ScopeKind; key: string; scope: LimitScope }> = [];
    const account = this.#o.account(request.accountId);
    if (account) scopes.push({ kind: "account", key: `a:${request.accountId}`, scope: account });
    const trunk = this.#o.trunk(request.trunkId);
    if (trunk) scopes.push({ kind: "trunk", key: `t:${request.trunkId}`, scope: trunk });
    const who = (s: (typeof scopes)[number]) => `${s.kind} ${s.scope.name}`;
    const dest = request.destination;

    // Destinations first, deny-lists of both scopes before either allow-list: a deny anywhere wins.
    for (const s of scopes) {
      const prefix = matchingPrefix(dest, s.scope.limits.denyPrefixes);
      if (prefix !== undefined) {
        return refuse403("destination_denied", `destination ${dest} denied by ${who(s)} (prefix ${prefix})`);
      }
    }
    for (const s of scopes) {
      if (!checkPrefixes(dest, s.scope.limits).ok) {
        return refuse403(
          "destination_not_allowed",
          `destination ${dest} is not in the allowed prefixes of ${who(s)}`,
        );
      }
    }

    for (const s of scopes) {
      const cap = s.scope.limits.dailyMinutes;
      if (cap === undefined) continue;
      const usedSec = this.#usedSec(s.kind, s.key, request, now);
      if (usedSec >= cap * 60) {
        return refuse403(
          "daily_minutes",
          `daily outbound minutes of ${who(s)} used up (${formatMinutes(usedSec)} of ${cap})`,
        );
      }
    }

    for (const s of scopes) {
      const max = s.scope.limits.maxConcurrent;
      if (max === undefined) continue;
      const elsewhere = this.#o.otherNodes?.concurrent(request.accountId, scopeTrunk(s.kind, request)) ?? 0;
      if ((this.#concurrent.get(s.key) ?? 0) + elsewhere >= max) {
        return refuse503(
          "concurrent_calls",
          `concurrent calls of ${who(s)} at the limit (${max})`,
          this.#o.concurrencyRetryAfterSec ?? 5,
        );
      }
    }

    // Rate last, and a token is taken only once the call passes every scope. Per node only (see
    // the file comment): the other nodes' rate is not added.
    const taking: TokenBucket[] = [];
    for (const s of scopes) {
      const rate = s.scope.limits.maxCallsPerSecond;
      if (rate === undefined) continue;
      let bucket = this.#buckets.get(s.key);
      if (!bucket) {
        bucket = new TokenBucket(rate, now);
        this.#buckets.set(s.key, bucket);
      }
      const wait = bucket.waitSec(rate, now);
      if (wait > 0) {
        return refuse503("calls_per_second", `calls per second of ${who(s)} at the limit (${rate})`, wait);
      }
      taking.push(bucket);
    }
    for (const b of taking) b.take();
    return { ok: true };
  }

  onCallStarted(call: OutboundCallStarted): void {
    if (this.#active.has(call.callId)) return;
    const now = this.#o.now();
    // Load today's minutes before any of this call's seconds can be added (see the file comment).
    this.#dayMinutes("account", `a:${call.accountId}`, call, now);
    this.#dayMinutes("trunk", `t:${call.trunkId}`, call, now);
    this.#active.set(call.callId, { accountId: call.accountId, trunkId: call.trunkId, answeredAt: null });
    for (const key of keysOf(call)) this.#concurrent.set(key, (this.#concurrent.get(key) ?? 0) + 1);
  }

  /** Not in the port: the wiring calls it on the 2xx so calls in progress count toward the cap. */
  onCallAnswered(call: { callId: string }): void {
    const active = this.#active.get(call.callId);
    if (active && active.answeredAt === null) active.answeredAt = this.#o.now();
  }

  onCallEnded(call: OutboundCallEnded): void {
    const active = this.#active.get(call.callId);
    if (!active) return;
    this.#active.delete(call.callId);
    const now = this.#o.now();
    for (const key of keysOf(active)) {
      const n = (this.#concurrent.get(key) ?? 1) - 1;
      if (n > 0) this.#concurrent.set(key, n);
      else this.#concurrent.delete(key);
    }
    const sec = Number.isFinite(call.durationSec) ? Math.max(0, call.durationSec) : 0;
    this.#dayMinutes("account", `a:${active.accountId}`, active, now).endedSec += sec;
    this.#dayMinutes("trunk", `t:${active.trunkId}`, active, now).endedSec += sec;
  }

  /** Calls in progress and seconds used today, per scope, of this process (not `otherNodes`). */
  usage(kind: ScopeKind, id: string): { concurrent: number; usedSecToday: number } {
    const key = `${kind === "account" ? "a" : "t"}:${id}`;
    const now = this.#o.now();
    const day = this.#minutes.get(key);
    const ended = day && day.day === utcDay(now) ? day.endedSec : 0;
    return {
      concurrent: this.#concurrent.get(key) ?? 0,
      usedSecToday: ended + this.#inProgressSec(kind, id, now),
    };
  }

  #usedSec(kind: ScopeKind, key: string, call: { accountId: string; trunkId: string }, now: number): number {
    const id = kind === "account" ? call.accountId : call.trunkId;
    const elsewhere = this.#o.otherNodes?.usedSec(call.accountId, scopeTrunk(kind, call), now) ?? 0;
    return this.#dayMinutes(kind, key, call, now).endedSec + this.#inProgressSec(kind, id, now) + elsewhere;
  }

  #inProgressSec(kind: ScopeKind, id: string, now: number): number {
    let sec = 0;
    for (const c of this.#active.values()) {
      if (c.answeredAt === null) continue;
      if ((kind === "account" ? c.accountId : c.trunkId) !== id) continue;
      sec += Math.max(0, now - c.answeredAt) / 1000;
    }
    return sec;
  }

  /** Today's entry of a scope: loaded the first time this process sees it, zero on a new day. */
  #dayMinutes(
    kind: ScopeKind,
    key: string,
    call: { accountId: string; trunkId: string },
    now: number,
  ): DayMinutes {
    const day = utcDay(now);
    const entry = this.#minutes.get(key);
    if (entry) {
      if (entry.day !== day) {
        entry.day = day;
        entry.endedSec = 0;
      }
      return entry;
    }
    let endedSec = 0;
    if (this.#o.minutesSince) {
      try {
        const trunkId = kind === "trunk" ? call.trunkId : null;
        const minutes = this.#o.minutesSince(call.accountId, trunkId, utcMidnight(now));
        endedSec = Number.isFinite(minutes) ? Math.max(0, minutes) * 60 : 0;
      } catch (err) {
        // Not remembered: the next admission asks again. Until then the call passes on what
        // this process has seen (a refused call for a database hiccup would be worse).
        this.#log.warn({ err, key }, "today's outbound minutes not loaded");
        return { day, endedSec: 0 };
      }
    }
    const created = { day, endedSec };
    this.#minutes.set(key, created);
    return created;
  }
}

/** The `trunkId` the other nodes' usage is asked with: null for the account's scope. */
function scopeTrunk(kind: ScopeKind, call: { trunkId: string }): string | null {
  return kind === "trunk" ? call.trunkId : null;
}

function keysOf(call: { accountId: string; trunkId: string }): string[] {
  return [`a:${call.accountId}`, `t:${call.trunkId}`];
}

function refuse403(code: FraudRefusalCode, reason: string): FraudRefusal {
  return { ok: false, status: 403, reason, code };
}

function refuse503(code: FraudRefusalCode, reason: string, retryAfterSec: number): FraudRefusal {
  return { ok: false, status: 503, reason, code, retryAfterSec };
}

function formatMinutes(sec: number): string {
  const m = sec / 60;
  return Number.isInteger(m) ? String(m) : m.toFixed(1);
}
