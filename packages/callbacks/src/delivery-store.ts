/**
 * Reading and replaying deliveries for the REST API (`GET /v1/deliveries`, `GET /v1/deliveries/:id`,
 * `POST /v1/deliveries/:id/replay`). Always scoped to an account: another account's id is "not found".
 */
import { and, asc, desc, eq, lt } from "@hookline/db";
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
