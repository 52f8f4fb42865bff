/**
 * Reading and replaying deliveries for the REST API (`GET /v1/deliveries`, `GET /v1/deliveries/:id`,
 * `POST /v1/deliveries/:id/replay`). Always scoped to an account: another account's id is "not found".
 */
import { and, asc, desc, eq, lt, orderedId } from "@hookline/db";
import type { Database, Schema } from "@hookline/db";
import { tables } from "./tables.js";

export type DeliveryRow = Schema["deliveries"]["$inferSelect"];
export type DeliveryAttemptRow = Schema["deliveryAttempts"]["$inferSelect"];
export type DeliveryStatusName = DeliveryRow["status"];

export const DELIVERY_STATUSES: readonly DeliveryStatusName[] = ["pending", "succeeded", "failed"];

export interface ListDeliveriesQuery {
  accountId: string;
  callbackId?: string;
  /** The deliveries one call caused (its events carry its id). */
  callId?: string;
  status?: DeliveryStatusName;
  limit?: number;
  /** `createdAt` of the last row of the previous page (newest first). */
  before?: number;
}

export function listDeliveries(db: Database, q: ListDeliveriesQuery): DeliveryRow[] {
  const { deliveries } = tables(db);
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
  return db
    .select()
    .from(deliveries)
    .where(
      and(
        eq(deliveries.accountId, q.accountId),
        q.callbackId ? eq(deliveries.callbackId, q.callbackId) : undefined,
        q.callId ? eq(deliveries.callId, q.callId) : undefined,
        q.status ? eq(deliveries.status, q.status) : undefined,
        q.before !== undefined ? lt(deliveries.createdAt, q.before) : undefined,
      ),
    )
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
    .limit(limit)
    .all();
}

export interface DeliveryDetail extends DeliveryRow {
  event: { id: string; type: string; body: unknown };
  attempts: DeliveryAttemptRow[];
}

export function getDelivery(db: Database, accountId: string, id: string): DeliveryDetail | null {
  const { deliveries, deliveryAttempts, outboxEvents } = tables(db);
  const row = db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.id, id), eq(deliveries.accountId, accountId)))
    .get();
  if (!row) return null;
  const event = db.select().from(outboxEvents).where(eq(outboxEvents.id, row.eventId)).get();
  const attempts = db
    .select()
    .from(deliveryAttempts)
    .where(eq(deliveryAttempts.deliveryId, id))
    .orderBy(asc(deliveryAttempts.attempt))
    .all();
  return {
    ...row,
    event: {
      id: row.eventId,
      type: event?.type ?? row.eventType,
      body: event ? (JSON.parse(event.body) as unknown) : null,
    },
    attempts,
  };
}

export type ReplayResult = { ok: true; delivery: DeliveryRow } | { ok: false; code: "not_found" | "pending" };

/**
 * Puts a finished delivery back to pending (same id, so the same `webhook-id`); the engine picks it
 * up on its next outbox poll. A delivery that is still pending is a conflict, not replayed twice.
 */
export function replayDelivery(db: Database, accountId: string, id: string): ReplayResult {
  const { deliveries } = tables(db);
  const now = Date.now();
  const updated = db
    .update(deliveries)
    .set({ status: "pending", nextAttemptAt: now, completedAt: null, lastError: null })
    .where(
      and(eq(deliveries.id, id), eq(deliveries.accountId, accountId), lt(deliveries.completedAt, now + 1)),
    )
    .returning()
    .get();
  if (updated) return { ok: true, delivery: updated };
  const exists = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.id, id), eq(deliveries.accountId, accountId)))
    .get();
  return { ok: false, code: exists ? "pending" : "not_found" };
}

/**
 * Puts every dead letter (status `failed`) of the account, or of one callback, back to pending;
 * returns how many. Same ids, so the same `webhook-id` on each.
 */
export function replayDeadLetters(db: Database, accountId: string, callbackId?: string): number {
  const { deliveries } = tables(db);
  const now = Date.now();
  return db
    .update(deliveries)
    .set({ status: "pending", nextAttemptAt: now, completedAt: null, lastError: null })
    .where(
      and(
        eq(deliveries.accountId, accountId),
        eq(deliveries.status, "failed"),
        callbackId ? eq(deliveries.callbackId, callbackId) : undefined,
      ),
    )
    .returning({ id: deliveries.id })
    .all().length;
}

/**
 * Records one event for one callback only (the console's "send a test event"): an outbox event and
 * a pending delivery, written together; the engine's outbox poll signs and sends it like any other.
 */
export function enqueueDelivery(
  db: Database,
  input: { accountId: string; callbackId: string; event: { type: string; timestamp: string; data: object } },
  now = Date.now(),
): DeliveryRow {
  const { deliveries, outboxEvents } = tables(db);
  const eventId = orderedId("evt", now);
  const { type, timestamp, data } = input.event;
  const body = JSON.stringify({ type, timestamp, data });
  return db.transaction((tx) => {
    tx.insert(outboxEvents)
      .values({
        id: eventId,
        accountId: input.accountId,
        callId: null,
        seq: null,
        type,
        body,
        createdAt: now,
      })
      .run();
    return tx
      .insert(deliveries)
      .values({
        id: orderedId("dlv", now),
        eventId,
        callbackId: input.callbackId,
        accountId: input.accountId,
        callId: null,
        seq: null,
        eventType: type,
        status: "pending",
        attemptCount: 0,
        nextAttemptAt: now,
        createdAt: now,
      })
      .returning()
      .get();
  });
}
