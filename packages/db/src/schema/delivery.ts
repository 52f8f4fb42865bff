// Owned by packages/callbacks: the durable event outbox, deliveries and their attempts (SPEC §4).
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.js";
import { callbacks } from "./callbacks.js";

/**
 * The outbox: one row per event that matched at least one callback, written (group-committed)
 * before the event counts as accepted. `body` is the exact JSON that is signed and POSTed, so every
 * retry sends byte-identical content.
 */
export const outboxEvents = sqliteTable(
  "outbox_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Not a foreign key: an event may outlive its call row, and registration events have none. */
    callId: text("call_id"),
    seq: integer("seq"),
    type: text("type").notNull(),
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("outbox_events_account_idx").on(t.accountId, t.createdAt)],
);

export type DeliveryStatus = "pending" | "succeeded" | "failed";

/**
 * One event to one callback. `id` is the Standard Webhooks `webhook-id`, the same on every retry
 * and on replay. Deliveries of one (callback, call) pair are sent in `seq` order.
 */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => outboxEvents.id, { onDelete: "cascade" }),
    callbackId: text("callback_id")
      .notNull()
      .references(() => callbacks.id, { onDelete: "cascade" }),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    callId: text("call_id"),
    seq: integer("seq"),
    eventType: text("event_type").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull(),
    attemptCount: integer("attempt_count").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    lastAttemptAt: integer("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
    /**
     * Which delivery node holds this delivery, and until when (epoch ms): set when a node claims it
     * on PostgreSQL, cleared with its result; an expired lease is anyone's to claim (several nodes).
     */
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until"),
  },
  (t) => [
    index("deliveries_status_next_idx").on(t.status, t.nextAttemptAt),
    index("deliveries_callback_idx").on(t.callbackId, t.createdAt),
    /** A lane's (callback, call) pending deliveries by seq: which one is the lane's head. */
    index("deliveries_lane_idx").on(t.callbackId, t.callId, t.status, t.seq),
    index("deliveries_account_idx").on(t.accountId, t.createdAt),
  ],
);

/** Every HTTP attempt of a delivery: time, status, latency, response excerpt (≤ 1 KiB), error. */
export const deliveryAttempts = sqliteTable(
  "delivery_attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: integer("started_at").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    statusCode: integer("status_code"),
    responseExcerpt: text("response_excerpt"),
    error: text("error"),
  },
  (t) => [index("delivery_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);

export type OutboxEvent = typeof outboxEvents.$inferSelect;
export type Delivery = typeof deliveries.$inferSelect;
export type DeliveryAttempt = typeof deliveryAttempts.$inferSelect;
