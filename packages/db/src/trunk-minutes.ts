/**
 * Outbound minutes through trunks, for the toll-fraud guard's daily cap (SPEC §3 trunks): what
 * the gateway's process did not see itself (calls before a restart) comes from here.
 */
import { and, eq, gte, isNotNull, sql } from "drizzle-orm";
import type { Database } from "./open-database.js";
import { callLegs, calls } from "./schema/index.js";

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
