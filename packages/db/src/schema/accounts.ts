import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { TrunkFraudLimits } from "./trunks.js";

/** No limit at all: what an account starts with (the trunk guards, SPEC §3 trunks). */
export const NO_FRAUD_LIMITS: TrunkFraudLimits = {
  allowedPrefixes: [],
  deniedPrefixes: [],
  maxConcurrentCalls: null,
  callsPerSecond: null,
  dailyOutboundMinutes: null,
};

/** A tenant. Everything an API key can see hangs off one account. */
export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  /** Toll-fraud limits over all the account's trunks, beside each trunk's own (same shape). */
  fraudLimits: text("fraud_limits", { mode: "json" })
    .$type<TrunkFraudLimits>()
    .notNull()
    .default(NO_FRAUD_LIMITS),
});

/**
 * Account API keys. The key itself is shown once at creation; only its SHA-256 (hex) is kept,
 * plus a short visible prefix so a user can tell keys apart in a list.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    name: text("name"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_keys_account_idx").on(t.accountId)],
);

/** People who log into the web console. `passwordHash` is `scrypt$N$r$p$<salt b64>$<hash b64>`. */
export const consoleUsers = sqliteTable(
  "console_users",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("console_users_account_idx").on(t.accountId)],
);

/**
 * Signed-in console sessions, kept server-side so sign-out and a password change end them at once.
 * The cookie carries a random token; only its SHA-256 is stored (like API keys), so a copy of the
 * database cannot be replayed as a cookie.
 */
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => consoleUsers.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("console_sessions_user_idx").on(t.userId)],
);

export type Account = typeof accounts.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type ConsoleUser = typeof consoleUsers.$inferSelect;
export type ConsoleSession = typeof consoleSessions.$inferSelect;
