/**
 * Claiming deliveries on PostgreSQL, shared by several delivery nodes (SPEC §4).
 *
 * A node claims only lane heads: the lowest pending (seq, id) of a (callback, call) lane, due, not
 * leased or with its lease expired. A lane's later deliveries are not claimable while an earlier
 * one is pending, whoever holds it, so one lane is sent by one node at a time, in seq order, even
 * across nodes. `FOR UPDATE SKIP LOCKED` lets nodes claim at the same moment without waiting on
 * each other's rows; a head another node is claiming right now is skipped, and once claimed, its
 * lease keeps it out (READ COMMITTED re-checks a row updated meanwhile). The claim returns each
 * delivery's body and callback too: one round trip gives the dispatcher all it needs to send.
 */
import type { PgDatabase } from "@hookline/db/pg";
import type { Logger } from "../logger.js";
import type { ClaimedDelivery } from "./callback-store.js";
import { DELIVERIES_CHANNEL } from "./pg-writes.js";
import { callbackInfo } from "./sqlite-store.js";

type Pool = PgDatabase["$client"];

const CLAIM = `
WITH heads AS (
  SELECT h.id FROM deliveries h
  WHERE h.status = 'pending' AND h.next_attempt_at <= $2
    AND (h.lease_until IS NULL OR h.lease_until < $2)
    AND NOT EXISTS (
      SELECT 1 FROM deliveries e
      WHERE e.callback_id = h.callback_id AND e.call_id = h.call_id AND e.status = 'pending'
        AND (e.seq < h.seq OR (e.seq = h.seq AND e.id < h.id)))
  ORDER BY h.next_attempt_at, h.id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE deliveries d SET lease_owner = $1, lease_until = $4
  FROM heads WHERE d.id = heads.id
  RETURNING d.id, d.event_id, d.callback_id, d.account_id, d.call_id, d.seq, d.attempt_count,
    d.next_attempt_at, d.created_at, d.lease_until
)
SELECT c.*, ev.body, cb.url, cb.enabled, cb.secret, cb.previous_secret, cb.previous_secret_expires_at
FROM claimed c
JOIN outbox_events ev ON ev.id = c.event_id
JOIN callbacks cb ON cb.id = c.callback_id`;

interface ClaimRow {
  id: string;
  event_id: string;
  callback_id: string;
  account_id: string;
  call_id: string | null;
  seq: number | null;
  attempt_count: number;
  next_attempt_at: number | null;
  created_at: number;
  lease_until: number;
  body: string;
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
}

export async function claimHeads(
  pool: Pool,
  node: string,
  limit: number,
  now: number,
  leaseUntil: number,
): Promise<ClaimedDelivery[]> {
  const { rows } = await pool.query<ClaimRow>(CLAIM, [node, now, limit, leaseUntil]);
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    callbackId: r.callback_id,
    accountId: r.account_id,
    callId: r.call_id,
    seq: r.seq,
    attemptCount: r.attempt_count,
    nextAttemptAt: r.next_attempt_at ?? r.created_at,
    createdAt: r.created_at,
    acceptedAt: r.created_at,
    leaseUntil: r.lease_until,
    body: r.body,
    callback: callbackInfo(
      {
        url: r.url,
        enabled: r.enabled,
        secret: r.secret,
        previousSecret: r.previous_secret,
        previousSecretExpiresAt: r.previous_secret_expires_at,
      },
      now,
    ),
  }));
}

export async function releaseLeases(pool: Pool, node: string, ids: readonly string[]): Promise<void> {
  await pool.query(
    `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL
     WHERE id = ANY($1::text[]) AND lease_owner = $2 AND status = 'pending'`,
    [ids, node],
  );
}

/**
 * LISTENs on a client of its own for new deliveries. A lost connection is logged and not
 * re-established here: the claim loop's polling still finds everything, only later.
 */
export async function listenForDeliveries(
  pool: Pool,
  wake: () => void,
  logger: Logger,
): Promise<() => Promise<void>> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.removeListener("notification", wake);
    client.release(err);
  };
  client.on("notification", wake);
  client.on("error", (err) => {
    logger.warn({ err }, "lost the LISTEN connection; new deliveries are found by polling");
    release(err);
  });
  try {
    await client.query(`LISTEN ${DELIVERIES_CHANNEL}`);
  } catch (err) {
    release(err as Error);
    throw err;
  }
  return async () => {
    if (released) return;
    await client.query(`UNLISTEN ${DELIVERIES_CHANNEL}`).catch(() => {});
    release();
  };
}
