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
  (t) => [index("callbacks_account_idx").on(t.accountId), index("callbacks_call_idx").on(t.callId)],
);

export type Callback = typeof callbacks.$inferSelect;
