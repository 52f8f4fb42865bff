/**
 * The storage port on PostgreSQL, for several delivery nodes on one database (SPEC §4).
 *
 * Accepting: events and their deliveries are group-committed in batched statements (pg-writes.ts).
 * Delivering: a node claims lane heads with a lease (pg-claim.ts); its results clear the lease in
 * the next batch, which is what lets the lane's next delivery be claimed, by any node. A node that
 * dies holding leases has those deliveries claimed by another once the leases expire: at least
 * once, with the same delivery id (`webhook-id`).
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Callback } from "@hookline/db";
import { and, eq, inArray, isNull, or } from "@hookline/db";
import type { PgDatabase } from "@hookline/db/pg";
import { pgSchema } from "@hookline/db/pg";
import type { Logger } from "../logger.js";
import type { CallbackStore, CallbacksReader, LeasedDeliveries } from "./callback-store.js";
import { attemptRows, outboxRows } from "./callback-store.js";
import { claimHeads, listenForDeliveries, releaseLeases } from "./pg-claim.js";
import type { PgWritesOptions } from "./pg-writes.js";
import { PgWrites } from "./pg-writes.js";

export interface PgStoreOptions {
  logger: Logger;
  /** This node's id, written as `lease_owner`. Default: host name, pid and a random suffix. */
  node?: string;
  /** How long a claim lasts. Default 30 s; keep it above the HTTP total timeout (10 s by default). */
  leaseMs?: number;
  writes?: PgWritesOptions;
}

export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export function createPgStore(db: PgDatabase, options: PgStoreOptions): CallbackStore {
  const pool = db.$client;
  const node = options.node ?? defaultNodeId();
  const leaseMs = options.leaseMs ?? 30_000;
  const logger = options.logger;
  const writes = new PgWrites(pool, node, logger, options.writes);

  const leased: LeasedDeliveries = {
    kind: "leased",
    node,
    leaseMs,
    claim: (limit, now) => claimHeads(pool, node, limit, now, now + leaseMs),
    release: (ids) => releaseLeases(pool, node, ids),
    listen: (wake) => listenForDeliveries(pool, wake, logger),
  };

  const store: CallbackStore = {
    dialect: "postgres",
    reader: pgReader(db),
    deliveries: leased,
    writeOutbox: (w) => {
      const rows = outboxRows(w);
      return writes.outbox(rows.event, rows.deliveries);
    },
    recordAttempt(d, attempt, startedAt, res, state, error) {
      const rows = attemptRows(d, attempt, startedAt, res, state, error);
      void writes.result(rows.attempt, rows.delivery).catch(() => {});
    },
    recordFailed(deliveryId, error) {
      void writes
        .result(null, {
          id: deliveryId,
          status: "failed",
          attemptCount: null,
          lastAttemptAt: null,
          lastStatusCode: null,
          lastError: error,
          nextAttemptAt: null,
          completedAt: Date.now(),
        })
        .catch(() => {});
    },
    disableCallback(callbackId, reason) {
      const { callbacks } = pgSchema;
      db.update(callbacks)
        .set({ enabled: false, disabledReason: reason, updatedAt: Date.now() })
        .where(eq(callbacks.id, callbackId))
        .then(
          () => logger.warn({ callbackId, reason }, "callback disabled"),
          (err: unknown) => logger.error({ err, callbackId }, "could not disable the callback"),
        );
    },
    flush: () => writes.flush(),
    get waiting() {
      return writes.waiting;
    },
    get commits() {
      return writes.commits;
    },
    get maxCommitMs() {
      return writes.maxCommitMs;
    },
    close: () => writes.flush(),
  };
  writes.onCommitted = (hadResults) => {
    if (hadResults) store.onResultsCommitted?.();
  };
  return store;
}

interface AccountEntry {
  version: number;
  account: Callback[];
  calls: Map<string, Callback[]>;
}

/**
 * The matcher's reads, loaded per batch of events: the accounts' change counters (one query), then
 * the callbacks of accounts whose counter moved and of calls not seen since (one more query).
 */
function pgReader(db: PgDatabase): CallbacksReader {
  const { callbacks, callbacksVersion } = pgSchema;
  const accounts = new Map<string, AccountEntry>();
  const MAX_CALLS = 4096;
  return {
    async prepare(keys) {
      const accountIds = [...new Set(keys.map((k) => k.accountId))];
      const versions = await db
        .select({ accountId: callbacksVersion.accountId, n: callbacksVersion.n })
        .from(callbacksVersion)
        .where(inArray(callbacksVersion.accountId, accountIds));
      const versionOf = new Map(versions.map((v) => [v.accountId, v.n]));
      const reload = accountIds.filter((id) => accounts.get(id)?.version !== (versionOf.get(id) ?? 0));
      for (const id of reload)
        accounts.set(id, { version: versionOf.get(id) ?? 0, account: [], calls: new Map() });
      const calls = [
        ...new Set(
          keys
            .filter((k) => k.callId !== null && !accounts.get(k.accountId)?.calls.has(k.callId))
            .map((k) => k.callId as string),
        ),
      ];
      if (reload.length === 0 && calls.length === 0) return;
      const rows = (await db
        .select()
        .from(callbacks)
        .where(
          and(
            eq(callbacks.enabled, true),
            or(
              reload.length > 0
                ? and(inArray(callbacks.accountId, reload), isNull(callbacks.callId))
                : undefined,
              calls.length > 0 ? inArray(callbacks.callId, calls) : undefined,
            ),
          ),
        )) as Callback[];
      const wanted = new Set(reload);
      for (const k of keys) {
        const entry = accounts.get(k.accountId);
        if (!entry || k.callId === null || entry.calls.has(k.callId)) continue;
        if (entry.calls.size >= MAX_CALLS) entry.calls.clear();
        entry.calls.set(k.callId, []);
      }
      for (const row of rows) {
        const entry = accounts.get(row.accountId);
        if (!entry) continue;
        if (row.callId === null) {
          if (wanted.has(row.accountId)) entry.account.push(row);
        } else entry.calls.get(row.callId)?.push(row);
      }
    },
    version: (accountId) => accounts.get(accountId)?.version ?? 0,
    accountCallbacks: (accountId) => accounts.get(accountId)?.account ?? [],
    callCallbacks: (accountId, callId) => accounts.get(accountId)?.calls.get(callId) ?? [],
  };
}
