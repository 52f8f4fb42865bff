/**
 * Reading and replaying deliveries for the REST API (`GET /v1/deliveries`, `GET /v1/deliveries/:id`,
 * `POST /v1/deliveries/:id/replay`). Always scoped to an account: another account's id is "not found".
 * Off the per-message path, so on a Store (either dialect, every query awaited: @hookline/db's store.ts).
 */
import { and, asc, desc, eq, first, lt, orderedId } from "@hookline/db";
import type { Schema, Store } from "@hookline/db";

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

export async function listDeliveries(store: Store, q: ListDeliveriesQuery): Promise<DeliveryRow[]> {
  const { deliveries } = store.t;
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
  return store.db
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
    .limit(limit);
}

export interface DeliveryDetail extends DeliveryRow {
  event: { id: string; type: string; body: unknown };
  attempts: DeliveryAttemptRow[];
}

export async function getDelivery(
  store: Store,
  accountId: string,
  id: string,
): Promise<DeliveryDetail | null> {
  const { db, t } = store;
  const { deliveries, deliveryAttempts, outboxEvents } = t;
  const row = first(
    await db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.id, id), eq(deliveries.accountId, accountId)))
      .limit(1),
  );
  if (!row) return null;
  const event = first(await db.select().from(outboxEvents).where(eq(outboxEvents.id, row.eventId)).limit(1));
  const attempts = await db
    .select()
    .from(deliveryAttempts)
    .where(eq(deliveryAttempts.deliveryId, id))
    .orderBy(asc(deliveryAttempts.attempt));
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
export async function replayDelivery(store: Store, accountId: string, id: string): Promise<ReplayResult> {
  const { db, t } = store;
  const { deliveries } = t;
  const now = Date.now();
  // A pending delivery has no completedAt, so `completedAt < now + 1` leaves it alone.
  const updated = first(
    await db
      .update(deliveries)
      .set({ status: "pending", nextAttemptAt: now, completedAt: null, lastError: null })
      .where(
        and(eq(deliveries.id, id), eq(deliveries.accountId, accountId), lt(deliveries.completedAt, now + 1)),
      )
      .returning(),
  );
  if (updated) return { ok: true, delivery: updated };
  const exists = first(
    await db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.id, id), eq(deliveries.accountId, accountId)))
      .limit(1),
  );
  return { ok: false, code: exists ? "pending" : "not_found" };
}

/**
 * Puts every dead letter (status `failed`) of the account, or of one callback, back to pending;
 * returns how many. Same ids, so the same `webhook-id` on each.
 */
export async function replayDeadLetters(
  store: Store,
  accountId: string,
  callbackId?: string,
): Promise<number> {
  const { deliveries } = store.t;
  const now = Date.now();
  const replayed = await store.db
    .update(deliveries)
    .set({ status: "pending", nextAttemptAt: now, completedAt: null, lastError: null })
    .where(
      and(
        eq(deliveries.accountId, accountId),
        eq(deliveries.status, "failed"),
        callbackId ? eq(deliveries.callbackId, callbackId) : undefined,
      ),
    )
    .returning({ id: deliveries.id });
  return replayed.length;
}

/**
 * Records one event for one callback only (the console's "send a test event"): an outbox event and
 * a pending delivery, written together; the engine's outbox poll signs and sends it like any other.
 */
export async function enqueueDelivery(
  store: Store,
  input: { accountId: string; callbackId: string; event: { type: string; timestamp: string; data: object } },
  now = Date.now(),
): Promise<DeliveryRow> {
  const { deliveries, outboxEvents } = store.t;
  const eventId = orderedId("evt", now);
  const { type, timestamp, data } = input.event;
  const body = JSON.stringify({ type, timestamp, data });
  return store.transaction(async (tx) => {
    await tx.insert(outboxEvents).values({
      id: eventId,
      accountId: input.accountId,
      callId: null,
      seq: null,
      type,
      body,
      createdAt: now,
    });
    const [row] = await tx
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
      .returning();
    if (!row) throw new Error("insert into deliveries returned no row");
    return row;
  });
}
