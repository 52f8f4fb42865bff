/** Whether a driver error, or one of its causes (drizzle wraps them), carries one of `codes`. */
function hasCode(err: unknown, codes: readonly string[]): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && codes.includes(code)) return true;
  }
  return false;
}

/**
 * Whether a write failed on a UNIQUE constraint, so callers can answer "duplicate" (409) without
 * knowing the driver: better-sqlite3 reports `SQLITE_CONSTRAINT_UNIQUE` (or `_PRIMARYKEY`),
 * PostgreSQL SQLSTATE 23505 (unique_violation).
 */
export const isUniqueViolation = (err: unknown): boolean =>
  hasCode(err, ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "23505"]);

/**
 * Whether a write failed on a foreign key: better-sqlite3 reports `SQLITE_CONSTRAINT_FOREIGNKEY`,
 * PostgreSQL SQLSTATE 23503 (foreign_key_violation).
 */
export const isForeignKeyViolation = (err: unknown): boolean =>
  hasCode(err, ["SQLITE_CONSTRAINT_FOREIGNKEY", "23503"]);
