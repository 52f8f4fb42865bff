import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A tenant. Everything an API key can see hangs off one account. */
export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
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

export type Account = typeof accounts.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type ConsoleUser = typeof consoleUsers.$inferSelect;
