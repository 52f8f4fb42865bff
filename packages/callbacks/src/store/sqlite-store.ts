/**
 * The storage port on SQLite (the default): prepared statements (statements.ts) and the group
 * commit (group-commit.ts) on the synchronous better-sqlite3 handle. One dispatcher per database
 * owns every pending delivery: it loads them at start and polls for ones written by another
 * process (`deliver: false`) or replayed through the API.
 */
import type { Callback, Database, Schema } from "@hookline/db";
import { and, eq, gt, lte } from "@hookline/db";
import type { GroupCommitOptions } from "../group-commit.js";
import { GroupCommit } from "../group-commit.js";
import type { Logger } from "../logger.js";
import type { PendingDelivery } from "../pending-delivery.js";
import { statements } from "../statements.js";
import { tables } from "../tables.js";
import type { CallbackInfo, CallbackStore, CallbacksReader, OwnedDeliveries } from "./callback-store.js";
import { attemptRows, outboxRows } from "./callback-store.js";

/** Edits through the API (new URL, rotated secret, disabled) reach the dispatcher within this. */
const CALLBACK_CACHE_MS = 1000;

export function createSqliteStore(
  db: Database,
  logger: Logger,
  groupOptions?: GroupCommitOptions,
): CallbackStore & { group: GroupCommit } {
  const group = new GroupCommit(db, logger, groupOptions);
  const s = statements(db);
  const { deliveries, callbacks } = tables(db);
  const callbackCache = new Map<string, CallbackInfo>();

  const version = db.$client
    .prepare<[string], number>("select n from callbacks_version where account_id = ?")
    .pluck();
  // Whether a call has callbacks of its own: most have none, and this costs less than drizzle's query.
  const callHasCallbacks = db.$client
    .prepare<[string, string], number>(
      "select 1 from callbacks where account_id = ? and call_id = ? and enabled = 1 limit 1",
    )
    .pluck();
  const reader: CallbacksReader = {
    version: (accountId) => version.get(accountId) ?? 0,
    accountCallbacks: (accountId): Callback[] => s.enabledAccountCallbacks.all({ accountId }),
    callCallbacks: (accountId, callId): Callback[] =>
      callHasCallbacks.get(accountId, callId) === undefined
        ? []
        : s.enabledCallCallbacks.all({ accountId, callId }),
  };

  const due = (since: number, now: number) =>
    and(
      eq(deliveries.status, "pending"),
      gt(deliveries.nextAttemptAt, since),
      lte(deliveries.nextAttemptAt, now),
    );
  const owned: OwnedDeliveries = {
    kind: "owned",
    loadPending: () =>
      db.select().from(deliveries).where(eq(deliveries.status, "pending")).all().map(fromRow),
    dueIds: (since, now) =>
      db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(due(since, now))
        .all()
        .map((r) => r.id),
    due: (since, now) => db.select().from(deliveries).where(due(since, now)).all().map(fromRow),
    eventBody: (eventId) => s.eventBody.get({ id: eventId })?.body,
    callback(id) {
      const now = Date.now();
      const cached = callbackCache.get(id);
      if (cached && now - cached.loadedAt < CALLBACK_CACHE_MS) return cached;
      const row = s.callbackById.get({ id });
      if (!row) {
        callbackCache.delete(id);
        return null;
      }
      const info = callbackInfo(row, now);
      callbackCache.set(id, info);
      return info;
    },
  };

  return {
    dialect: "sqlite",
    group,
    reader,
    deliveries: owned,
    writeOutbox(w) {
      const rows = outboxRows(w);
      return group.run(() => {
        s.insertEvent.run(rows.event);
        for (const d of rows.deliveries) s.insertDelivery.run(d);
      });
    },
    recordAttempt(d, attempt, startedAt, res, state, error) {
      const rows = attemptRows(d, attempt, startedAt, res, state, error);
      void group
        .run(() => {
          s.insertAttempt.run(rows.attempt);
          s.updateDelivery.run(rows.delivery);
        })
        .catch(() => {});
    },
    recordFailed(deliveryId, error) {
      void group
        .run((tx) =>
          tx
            .update(deliveries)
            .set({ status: "failed", lastError: error, nextAttemptAt: null, completedAt: Date.now() })
            .where(eq(deliveries.id, deliveryId))
            .run(),
        )
        .catch(() => {});
    },
    disableCallback(callbackId, reason) {
      db.update(callbacks)
        .set({ enabled: false, disabledReason: reason, updatedAt: Date.now() })
        .where(eq(callbacks.id, callbackId))
        .run();
      callbackCache.delete(callbackId);
      logger.warn({ callbackId, reason }, "callback disabled");
    },
    flush() {
      group.flush();
      return Promise.resolve();
    },
    get waiting() {
      return group.waiting;
    },
    get commits() {
      return group.commits;
    },
    get maxCommitMs() {
      return group.maxCommitMs;
    },
    close: () => Promise.resolve(),
  };
}

export function callbackInfo(
  row: Pick<Callback, "url" | "enabled" | "secret" | "previousSecret" | "previousSecretExpiresAt">,
  now: number,
): CallbackInfo {
  return {
    url: URL.canParse(row.url) ? new URL(row.url) : null,
    enabled: row.enabled,
    secret: row.secret,
    previousSecret: row.previousSecret,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
    loadedAt: now,
  };
}

function fromRow(r: Schema["deliveries"]["$inferSelect"]): PendingDelivery {
  return {
    id: r.id,
    eventId: r.eventId,
    callbackId: r.callbackId,
    accountId: r.accountId,
    callId: r.callId,
    seq: r.seq,
    attemptCount: r.attemptCount,
    nextAttemptAt: r.nextAttemptAt ?? r.createdAt,
    createdAt: r.createdAt,
    acceptedAt: r.createdAt,
  };
}
