// PostgreSQL dialect of ../schema/callbacks.ts (SPEC §4 subscriptions and their change counter).
import { boolean, index, integer, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import type { CallbackSource } from "../schema/callbacks.js";
import { accounts, ms } from "./accounts.js";
import { calls } from "./calls.js";

export const callbacks = pgTable(
  "callbacks",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    callId: text("call_id").references(() => calls.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: jsonb("events").$type<string[]>().notNull(),
    filter: text("filter"),
    description: text("description"),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: ms("previous_secret_expires_at"),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabled_reason"),
    source: text("source").$type<CallbackSource>().notNull().default("api"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [
    index("callbacks_account_call_idx").on(t.accountId, t.callId),
    index("callbacks_call_idx").on(t.callId),
  ],
);

/** Bumped by triggers on every write to callbacks (drizzle-pg/0001, as SQLite's migration 0003). */
export const callbacksVersion = pgTable("callbacks_version", {
  accountId: text("account_id").primaryKey(),
  n: integer("n").notNull(),
});
