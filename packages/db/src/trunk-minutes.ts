/**
 * Outbound minutes through trunks, for the toll-fraud guard's daily cap (SPEC §3 trunks): what
 * the gateway's process did not see itself (calls before a restart) comes from here.
 */
import { and, eq, gte, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Database } from "./open-database.js";
import { callLegs, calls } from "./schema/index.js";
import type { Store } from "./store.js";

/**
 * Minutes of answered outbound legs through a trunk that ENDED at or after `since`: of `trunkId`,
 * or of every trunk of the account when it is null. A leg counts from its 2xx to its end.
 */
export function outboundTrunkMinutesSince(
  db: Database,
  accountId: string,
  trunkId: string | null,
  since: Date,
): number {
  const row = db
    .select({ ms: sql<number | null>`sum(${callLegs.endedAt} - ${callLegs.answeredAt})` })
    .from(callLegs)
    .innerJoin(calls, eq(calls.id, callLegs.callId))
    .where(
      and(
        eq(calls.accountId, accountId),
        trunkId === null ? isNotNull(callLegs.trunkId) : eq(callLegs.trunkId, trunkId),
        isNotNull(callLegs.answeredAt),
        gte(callLegs.endedAt, since.getTime()),
      ),
    )
    .get();
  return Math.max(0, row?.ms ?? 0) / 60_000;
}

/**
 * The same minutes for PostgreSQL, where the fraud guard cannot wait for a query: its
 * `minutesSince` is synchronous, called inside `admitOutbound` on the INVITE path (the gateway's
 * fraud-guard.ts). So the minutes are read once, awaited, before the gateway takes calls: one
 * grouped read of every account's and trunk's legs that ended since `since` (UTC midnight), held
 * here and answered from memory. The guard asks once per account and per trunk and from then on
 * adds what ends in its own process (its running total), so this read plus the guard's total is
 * what the SQLite read at first sight gives. Reading at first sight would instead cost a round
 * trip per INVITE or let the first call of each scope pass unchecked while the read runs. With
 * several gateway nodes, this read is of this node's calls only and the other nodes' come from
 * `ClusterUsage` (cluster-usage.ts): each call has one source.
 *
 * Runs on either dialect (a Store's awaited query). It reads every trunk leg that ended since
 * `since` in one go, through the partial index of trunk legs on `ended_at`
 * (call_legs_trunk_legs_ended_idx).
 */
export class TrunkMinutesSeed {
  readonly #since: number;
  /** `accountId SEP trunkId` and `accountId` → ms. */
  readonly #ms = new Map<string, number>();

  private constructor(since: Date) {
    this.#since = since.getTime();
  }

  /**
   * `ownNodeId`, on a database several gateway nodes share (SPEC §2): only the calls this node
   * recorded (and those recorded before nodes had ids), for the other nodes' calls are counted by
   * `ClusterUsage` (cluster-usage.ts) all day long; reading them here as well would count them twice.
   */
  static async load(store: Store, since: Date, ownNodeId?: string): Promise<TrunkMinutesSeed> {
    const { db, t } = store;
    const rows = await db
      .select({
        accountId: t.calls.accountId,
        trunkId: t.callLegs.trunkId,
        // PostgreSQL sums bigint to numeric, which node-postgres reads as a string.
        ms: sql<number | string | null>`sum(${t.callLegs.endedAt} - ${t.callLegs.answeredAt})`,
      })
      .from(t.callLegs)
      .innerJoin(t.calls, eq(t.calls.id, t.callLegs.callId))
      .where(
        and(
          isNotNull(t.callLegs.trunkId),
          isNotNull(t.callLegs.answeredAt),
          gte(t.callLegs.endedAt, since.getTime()),
          ownNodeId === undefined ? undefined : or(eq(t.calls.nodeId, ownNodeId), isNull(t.calls.nodeId)),
        ),
      )
      .groupBy(t.calls.accountId, t.callLegs.trunkId);
    const seed = new TrunkMinutesSeed(since);
    for (const r of rows) {
      const ms = Number(r.ms ?? 0);
      if (!Number.isFinite(ms) || r.trunkId === null) continue;
      seed.#add(r.accountId + SEP + r.trunkId, ms);
      seed.#add(r.accountId, ms);
    }
    return seed;
  }

  /**
   * As {@link outboundTrunkMinutesSince}, from what was read. A `since` after the one read (a
   * later UTC day) has nothing from here: what ended since then in this process, the guard saw
   * itself. One before it cannot be answered, and throws (the guard then passes on what it saw).
   */
  minutesSince(accountId: string, trunkId: string | null, since: Date): number {
    if (since.getTime() < this.#since) throw new Error("outbound minutes read since a later time");
    if (since.getTime() > this.#since) return 0;
    const ms = this.#ms.get(trunkId === null ? accountId : accountId + SEP + trunkId) ?? 0;
    return Math.max(0, ms) / 60_000;
  }

  #add(key: string, ms: number): void {
    this.#ms.set(key, (this.#ms.get(key) ?? 0) + ms);
  }
}

const SEP = "\u0000";
