import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { startCheckpointer, type Checkpointer } from "./checkpointer.js";
import { configureConnection } from "./connection.js";
import * as schema from "./schema/index.js";
import {
  registerDatabaseWatch,
  WriteHealth,
  writeProbe,
  type DatabaseWatch,
  type WriteHealthOptions,
} from "./write-health.js";

export type Schema = typeof schema;
/** `$client` is the raw better-sqlite3 handle, for prepared statements on hot paths. */
export type Database = BetterSQLite3Database<Schema> & { $client: BetterSqlite3.Database };

export interface OpenDatabaseOptions {
  /** SQLite file path (the gateway passes `<dataDir>/hookline.db`), or `:memory:` in tests. */
  file: string;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Checkpoint the WAL from a worker thread instead of inside commits (see checkpointer.ts): for
   * the process whose event loop must not stall. Ignored for `:memory:`.
   */
  backgroundCheckpoints?: boolean;
  /** The write health's probe and log intervals (write-health.ts). */
  writeHealth?: WriteHealthOptions;
}

export interface OpenedDatabase {
  db: Database;
  /** The raw better-sqlite3 handle, for prepared statements on hot paths inside packages/db. */
  sqlite: BetterSqlite3.Database;
  /** Present with `backgroundCheckpoints`. */
  checkpointer?: Checkpointer;
  /** Whether the database can write, as this process last saw it (write-health.ts). */
  health: WriteHealth;
  /**
   * Caps the database at this many pages (SQLite's `max_page_count`) on every connection of this
   * process, the call store's writer thread's included; past it writes fail as on a full disk.
   * Tests fill the database with it; SQLite never lowers the cap below the current size.
   */
  setMaxPageCount(pages: number): void;
  /** Tells the checkpointer (if any) to stop and closes the connection (callable detached). */
  close: () => void;
}

/** The committed, drizzle-kit generated migrations (packages/db/drizzle). */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/**
 * The one place that opens the database. Applies pending migrations before returning, so every
 * process (gateway, console, delivery worker) can open the same file in any order. (The call
 * store's writer thread adds a connection of its own to a file opened here, with the same
 * settings: connection.ts.)
 */
export function openDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  const { file } = options;
  if (file !== ":memory:") {
    // The file holds digest HA1s and webhook signing secrets: owner-only. SQLite creates the
    // -wal and -shm files with the main file's permissions, so creating it 0600 covers them.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivateFile(file);
  }
  const sqlite = new BetterSqlite3(file);
  try {
    configureConnection(sqlite, options.busyTimeoutMs ?? 5000);
    const db = drizzle({ client: sqlite, schema });
    migrate(db, { migrationsFolder });
    const checkpointer =
      options.backgroundCheckpoints && file !== ":memory:" ? startCheckpointer(sqlite, file) : undefined;
    const health = new WriteHealth(writeProbe(sqlite), options.writeHealth);
    const watch: DatabaseWatch = { health, maxPageCount: undefined, onMaxPageCount: new Set() };
    registerDatabaseWatch(sqlite, watch);
    return {
      db,
      sqlite,
      ...(checkpointer && { checkpointer }),
      health,
      setMaxPageCount(pages) {
        watch.maxPageCount = sqlite.pragma(`max_page_count = ${Math.max(1, Math.trunc(pages))}`, {
          simple: true,
        }) as number;
        for (const listener of watch.onMaxPageCount) listener(watch.maxPageCount);
      },
      close: () => {
        health.close();
        void checkpointer?.stop();
        if (sqlite.open) sqlite.close();
      },
    };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

function createPrivateFile(file: string): void {
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}
