// PostgreSQL dialect of ../schema/delivery.ts: the outbox, deliveries and their attempts (SPEC §4).
import { index, integer, pgTable, text } from "drizzle-orm/pg-core";
import type { DeliveryStatus } from "../schema/delivery.js";
import { accounts, ms } from "./accounts.js";
import { callbacks } from "./callbacks.js";

export const outboxEvents = pgTable(
  "outbox_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    callId: text("call_id"),
    seq: integer("seq"),
    type: text("type").notNull(),
    /** Text, not jsonb: these exact bytes are signed and sent on every retry. */
    body: text("body").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [index("outbox_events_account_idx").on(t.accountId, t.createdAt)],
);

export const deliveries = pgTable(
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
    nextAttemptAt: ms("next_attempt_at"),
    lastAttemptAt: ms("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: ms("created_at").notNull(),
    completedAt: ms("completed_at"),
    /**
     * Which delivery node holds this delivery, and until when (epoch ms): set when a node claims it
     * on PostgreSQL, cleared with its result; an expired lease is anyone's to claim (several nodes).
     */
    leaseOwner: text("lease_owner"),
    leaseUntil: ms("lease_until"),
  },
  (t) => [
    index("deliveries_status_next_idx").on(t.status, t.nextAttemptAt),
    index("deliveries_callback_idx").on(t.callbackId, t.createdAt),
    /** A lane's (callback, call) pending deliveries by seq: which one is the lane's head. */
    index("deliveries_lane_idx").on(t.callbackId, t.callId, t.status, t.seq),
    index("deliveries_account_idx").on(t.accountId, t.createdAt),
  ],
);

export const deliveryAttempts = pgTable(
  "delivery_attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: ms("started_at").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    statusCode: integer("status_code"),
    responseExcerpt: text("response_excerpt"),
    error: text("error"),
  },
  (t) => [index("delivery_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);
