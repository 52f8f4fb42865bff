/**
 * The PostgreSQL dialect, `@hookline/db/pg`: its schema, its migrations and `openPostgres()`.
 * SQLite stays the default dialect the gateway opens (src/index.ts); PostgreSQL is for several
 * nodes on one database (SPEC §2, `HOOKLINE_DATABASE_URL`).
 */
import { fileURLToPath } from "node:url";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as pgSchemaModule from "./schema-pg/index.js";

export * as pgSchema from "./schema-pg/index.js";
export { createPgCallStore, type PgCallStore, type PgCallStoreOptions } from "./pg-call-store.js";

export type PgSchema = typeof pgSchemaModule;
/** drizzle over a node-postgres Pool; `$client` is the Pool, for batched hot-path SQL. */
export type PgDatabase = NodePgDatabase<PgSchema> & { $client: pg.Pool };

/** The committed, drizzle-kit generated PostgreSQL migrations (packages/db/drizzle-pg). */
export const pgMigrationsFolder = fileURLToPath(new URL("../drizzle-pg", import.meta.url));

/**
 * Held (a session advisory lock) around the migrator, so that several nodes starting at
 * once against one database migrate one after the other: the first applies, the rest find nothing
 * to do. The key is arbitrary but fixed: "hookline" in ASCII.
 */
const MIGRATE_LOCK_KEY = 0x686f6f6b6c696e65n;

export interface OpenPostgresOptions {
  /** `postgres://user[:password]@host[:port]/database` (`HOOKLINE_DATABASE_URL`). */
  url: string;
  /** Pool size. Default 10. */
  max?: number;
  /** Default true: apply pending migrations before returning. */
  migrate?: boolean;
}

export interface OpenedPostgres {
  db: PgDatabase;
  pool: pg.Pool;
  /** Ends the pool (waits for checked-out clients to be released). */
  close: () => Promise<void>;
}

/** Times are bigint epoch ms (schema-pg/accounts.ts `ms`): raw queries read numbers, not strings. */
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
    oid === INT8_OID && format !== "binary"
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, "text") as unknown)) as pg.CustomTypesConfig["getTypeParser"],
};

export async function openPostgres(options: OpenPostgresOptions): Promise<OpenedPostgres> {
  // A server out of reach fails a connection attempt in 10 s rather than hanging the callers.
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    types,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  try {
    if (options.migrate ?? true) await migrateLocked(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db: PgDatabase = drizzle({ client: pool, schema: pgSchemaModule });
  return { db, pool, close: () => pool.end() };
}

async function migrateLocked(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // A session lock on a dedicated client: the migrator runs its own transaction on that client.
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY.toString()]);
    try {
      await migrate(drizzle({ client, schema: pgSchemaModule }), { migrationsFolder: pgMigrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY.toString()]);
    }
  } finally {
    client.release();
  }
}

/** Whether `db` is a PostgreSQL database opened by {@link openPostgres} (else: SQLite's). */
export function isPgDatabase(db: object): db is PgDatabase {
  return (db as { $client?: unknown }).$client instanceof pg.Pool;
}

export { DirectoryMirror, DIRECTORY_CHANNEL, MIRRORED_TABLES, type MirroredTable } from "./mirror.js";
