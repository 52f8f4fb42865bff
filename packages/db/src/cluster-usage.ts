/**
 * What the OTHER gateway nodes sharing one PostgreSQL carry through trunks (SPEC §2: several
 * nodes on one database; SPEC §3 trunks, the toll-fraud limits), so that each node's fraud guard
 * holds the cluster's concurrent calls and daily minutes to the limits and not only its own.
 *
 * One grouped query per `refresh()`, over the calls and call_legs every node records, for the
 * calls whose `node_id` is not this node's, per account and trunk:
 * - outbound trunk legs in progress (answered or not): the leg has not ended and neither has its
 *   call (a lost node's calls are ended by another, cluster/node-lost.ts, and so stop counting);
 * - seconds of answered trunk legs that ENDED since UTC midnight, the whole leg from its answer
 *   (the day a call ends gets all of it, as in the gateway's fraud-guard.ts);
 * - seconds so far of answered trunk legs in progress, to the time of the read (fraud-guard.ts
 *   counts its own calls in progress the same way, so long calls spread over nodes are seen
 *   before any of them ends).
 * The guard asks from memory: the INVITE path makes no query.
 *
 * Each call is counted from exactly one source. This node's own calls the guard counts itself
 * (in memory while they run and as they end; what ended today before it started comes from
 * `TrunkMinutesSeed.load` with this node's id, trunk-minutes.ts), so they are left out here. Calls
 * with no `node_id` (recorded before nodes had ids) belong to the seed, and `node_id <> $me` in SQL
 * leaves them out here too.
 *
 * The documented bound: the figures are as old as the last read, 2 s by default (the gateway's
 * trunk-guards.ts refreshes them on a timer). In that window two nodes can both admit the last
 * slot of a concurrency limit, or both pass a daily cap a few seconds short of it, and the limit
 * is exceeded by at most the calls the other nodes admit in one window. That is accepted, as it
 * is for Kamailio's dialog counters shared through a database; holding a limit exactly would need
 * a round trip to a shared counter on every INVITE. A failed read keeps the last figures (the
 * caller logs it); calls admitted meanwhile are checked against them.
 *
 * Cost: the legs come from the partial index of trunk legs on `ended_at` (the running ones, null,
 * and today's), so a read grows with the day's trunk calls, not with the calls table's history;
 * each is joined to its call for the node and the account.
 *
 * Runs on either dialect (a Store's awaited query). Only PostgreSQL has other nodes: on SQLite
 * it finds none and the gateway does not use it.
 */
import { and, eq, gte, isNotNull, ne, or, sql } from "drizzle-orm";
import type { Store } from "./store.js";

/** What the other nodes carry of one account, or of one of its trunks. */
export interface OtherNodesFigures {
  /** Outbound trunk legs in progress, answered or not. */
  concurrent: number;
  /** Ms of answered trunk legs that ended since the read's UTC midnight. */
  endedMs: number;
  /** Ms from answer to the read of answered trunk legs in progress. */
  runningMs: number;
}

export interface ClusterUsageOptions {
  store: Store;
  /** This node's id (SPEC §2 HOOKLINE_NODE_ID): its calls are left out. */
  nodeId: string;
  /** Epoch ms (fake time in tests). */
  now?: () => number;
}

const DAY_MS = 86_400_000;
const NONE: OtherNodesFigures = { concurrent: 0, endedMs: 0, runningMs: 0 };

export class ClusterUsage {
  readonly #store: Store;
  readonly #nodeId: string;
  readonly #now: () => number;
  /** `accountId SEP trunkId` and `accountId` → figures; replaced whole by each read. */
  #figures = new Map<string, OtherNodesFigures>();
  /** The UTC midnight the last read counted ended legs from; null before the first read. */
  #since: number | null = null;

  constructor(options: ClusterUsageOptions) {
    this.#store = options.store;
    this.#nodeId = options.nodeId;
    this.#now = options.now ?? Date.now;
  }

  /** When the figures were read (their UTC midnight), or null: never read. */
  get since(): number | null {
    return this.#since;
  }

  /** Reads the figures again; on failure it rejects and the last figures stay. */
  async refresh(): Promise<void> {
    const readAt = this.#now();
    const since = readAt - (readAt % DAY_MS);
    const { db, t } = this.#store;
    const { calls, callLegs } = t;
    const running = sql`${callLegs.endedAt} is null and ${calls.endedAt} is null`;
    const answeredRunning = sql`${running} and ${callLegs.answeredAt} is not null`;
    const endedToday = sql`${callLegs.answeredAt} is not null and ${callLegs.endedAt} >= ${since}`;
    const rows = await db
      .select({
        accountId: calls.accountId,
        trunkId: callLegs.trunkId,
        // PostgreSQL sums to bigint or numeric, which node-postgres reads as strings.
        concurrent: sql<number | string | null>`sum(case when ${running} then 1 else 0 end)`,
        endedMs: sql<number | string | null>`sum(case when ${endedToday}
          then ${callLegs.endedAt} - ${callLegs.answeredAt} else 0 end)`,
        runningMs: sql<number | string | null>`sum(case when ${answeredRunning}
          then ${readAt} - ${callLegs.answeredAt} else 0 end)`,
      })
      .from(callLegs)
      .innerJoin(calls, eq(calls.id, callLegs.callId))
      .where(
        and(
          isNotNull(callLegs.trunkId),
          ne(calls.nodeId, this.#nodeId),
          or(running, and(isNotNull(callLegs.answeredAt), gte(callLegs.endedAt, since))),
        ),
      )
      .groupBy(calls.accountId, callLegs.trunkId);
    const figures = new Map<string, OtherNodesFigures>();
    const add = (key: string, f: OtherNodesFigures) => {
      const had = figures.get(key) ?? NONE;
      figures.set(key, {
        concurrent: had.concurrent + f.concurrent,
        endedMs: had.endedMs + f.endedMs,
        runningMs: had.runningMs + f.runningMs,
      });
    };
    for (const r of rows) {
      if (r.trunkId === null) continue;
      const f = { concurrent: num(r.concurrent), endedMs: num(r.endedMs), runningMs: num(r.runningMs) };
      add(r.accountId + SEP + r.trunkId, f);
      add(r.accountId, f);
    }
    this.#figures = figures;
    this.#since = since;
  }

  /** Of the account (`trunkId` null) or one of its trunks, as last read; zeros before any read. */
  figures(accountId: string, trunkId: string | null): OtherNodesFigures {
    return this.#figures.get(trunkId === null ? accountId : accountId + SEP + trunkId) ?? NONE;
  }

  /** Outbound trunk calls in progress on the other nodes, answered or not. */
  concurrent(accountId: string, trunkId: string | null): number {
    return this.figures(accountId, trunkId).concurrent;
  }

  /**
   * The other nodes' seconds toward the daily cap of `now`'s UTC day: ended that day and answered
   * in progress. Once a new UTC day has begun since the read, what ended counts for the day
   * before (zero until the next read); calls in progress still count, all of their seconds
   * belonging to the day they end.
   */
  usedSec(accountId: string, trunkId: string | null, now: number): number {
    const f = this.figures(accountId, trunkId);
    const sameDay = this.#since !== null && now - (now % DAY_MS) === this.#since;
    return ((sameDay ? f.endedMs : 0) + f.runningMs) / 1000;
  }
}

/** A sum as a number; never negative (a node's clock ahead of this one's could make one so). */
function num(v: number | string | null): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? Math.max(0, n) : 0;
}

const SEP = "\u0000";
