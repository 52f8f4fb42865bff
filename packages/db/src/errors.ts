/**
 * Whether a write failed on a UNIQUE constraint, so callers can answer "duplicate" (409) without
 * knowing the driver: better-sqlite3 reports `SQLITE_CONSTRAINT_UNIQUE`; Postgres would say 23505.
 */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505") {
      return true;
    }
  }
  return false;
}
