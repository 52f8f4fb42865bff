/**
 * One drizzle handle over either dialect (SPEC §2, `HOOKLINE_DATABASE_URL`), for code off the
 * per-SIP-message path: the REST API, the console, the delivery store's reads. Such code awaits
 * every query and so runs unchanged on SQLite (better-sqlite3 answers at once) and on PostgreSQL.
 *
 * The handle is typed as drizzle's asynchronous SQLite database and the tables as the SQLite
 * schema: on PostgreSQL, `db` is a node-postgres database and `t` the PostgreSQL schema, whose
 * tables have the same names, columns and JavaScript types (schema-pg/index.ts). So only what
 * both dialects' query builders have may be used: `await` a query, `.returning()`,
 * `.onConflictDoUpdate()`, `.limit(1)` and `first()` for one row, never `.all()`, `.get()`,
 * `.run()` or `.prepare()` (PostgreSQL's builders have none of them), and no dialect-specific SQL.
 * The suites that use a Store run on both dialects (testing/stores.ts), which is what holds this.
 */
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { Database, Schema } from "./open-database.js";
import type { PgDatabase } from "./pg.js";
import * as sqliteSchema from "./schema/index.js";
import * as pgSchemaModule from "./schema-pg/index.js";

export type Dialect = "sqlite" | "postgres";

/** Both dialects' common query surface, typed as drizzle's async SQLite database. */
export type StoreDb = BaseSQLiteDatabase<"async", unknown, Schema>;

export interface Store {
  readonly dialect: Dialect;
  readonly db: StoreDb;
  /** The dialect's tables (the SQLite schema's types, the same columns on both). */
  readonly t: Schema;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. On
   * SQLite the transactions of a Store run one at a time; `fn` must await only queries on `tx`
   * (another task's statement on the shared connection would otherwise land inside it).
   */
  transaction<T>(fn: (tx: StoreDb) => Promise<T>): Promise<T>;
}

/** The first row of a query's result, or undefined: `first(await db.select()...limit(1))`. */
export const first = <T>(rows: readonly T[]): T | undefined => rows[0];

/** A Store over an open SQLite database (openDatabase's `db`). */
export function sqliteStore(db: Database): Store {
  const sqlite = db.$client;
  let queue: Promise<unknown> = Promise.resolve();
  const asStoreDb = db as unknown as StoreDb;
  return {
    dialect: "sqlite",
    db: asStoreDb,
    t: sqliteSchema,
    transaction<T>(fn: (tx: StoreDb) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        sqlite.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn(asStoreDb);
          sqlite.exec("COMMIT");
          return result;
        } catch (err) {
          if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
          throw err;
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

/** A Store over an open PostgreSQL database (openPostgres's `db`). */
export function pgStore(db: PgDatabase): Store {
  return {
    dialect: "postgres",
    db: db as unknown as StoreDb,
    t: pgSchemaModule as unknown as Schema,
    transaction: (fn) => db.transaction((tx) => fn(tx as unknown as StoreDb)),
  };
}
