import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.js";
import { calls } from "./calls.js";

export type CallbackSource = "api" | "sip";

/**
 * A subscription of an account (or of one call, when `callId` is set) to event names (SPEC §4).
 * `secret` signs deliveries (`whsec_<base64>`, Standard Webhooks); during a rotation
 * `previousSecret` keeps signing too until `previousSecretExpiresAt`, so receivers can switch over.
 */
export const callbacks = sqliteTable(
  "callbacks",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    callId: text("call_id").references(() => calls.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    filter: text("filter"),
    description: text("description"),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    disabledReason: text("disabled_reason"),
    source: text("source").$type<CallbackSource>().notNull().default("api"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // (account, call): the matcher loads an account's own callbacks (`call_id is null`) without
  // walking the per-call callbacks of every call the account ever had.
  (t) => [
    index("callbacks_account_call_idx").on(t.accountId, t.callId),
    index("callbacks_call_idx").on(t.callId),
  ],
);

/**
 * One change counter per account, bumped by triggers on every insert, update and delete of its
 * callbacks (migration 0003), from any connection or process: the matcher compares it before each
 * use of its cache, a primary-key read instead of a query over the callbacks themselves.
 */
export const callbacksVersion = sqliteTable("callbacks_version", {
  accountId: text("account_id").primaryKey(),
  n: integer("n").notNull(),
});

export type Callback = typeof callbacks.$inferSelect;
