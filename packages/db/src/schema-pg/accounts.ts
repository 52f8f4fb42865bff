// PostgreSQL dialect of ../schema/accounts.ts: same tables, columns, indexes and constraints.
import { bigint, index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { NO_FRAUD_LIMITS } from "../schema/accounts.js";
import type { TrunkFraudLimits } from "../schema/trunks.js";

/** Times are Unix milliseconds, as in SQLite: `bigint` read as a JS number (safe until year 287396). */
export const ms = (name: string) => bigint(name, { mode: "number" });

export const accounts = pgTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: ms("created_at").notNull(),
  fraudLimits: jsonb("fraud_limits").$type<TrunkFraudLimits>().notNull().default(NO_FRAUD_LIMITS),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    name: text("name"),
    createdAt: ms("created_at").notNull(),
    lastUsedAt: ms("last_used_at"),
    revokedAt: ms("revoked_at"),
  },
  (t) => [index("api_keys_account_idx").on(t.accountId)],
);

export const consoleUsers = pgTable(
  "console_users",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [index("console_users_account_idx").on(t.accountId)],
);

export const consoleSessions = pgTable(
  "console_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => consoleUsers.id, { onDelete: "cascade" }),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
  },
  (t) => [index("console_sessions_user_idx").on(t.userId)],
);
