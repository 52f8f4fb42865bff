/**
 * The PostgreSQL dialect, `@hookline/db/pg`: its schema and its migrations. SQLite stays the
 * default and the only dialect the gateway opens (src/index.ts); this is the groundwork the
 * runtime switch to PostgreSQL (SPEC §2, `HOOKLINE_DATABASE_URL`) will build on.
 */
import { fileURLToPath } from "node:url";

export * as pgSchema from "./schema-pg/index.js";

/** The committed, drizzle-kit generated PostgreSQL migrations (packages/db/drizzle-pg). */
export const pgMigrationsFolder = fileURLToPath(new URL("../drizzle-pg", import.meta.url));
