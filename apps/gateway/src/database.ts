/**
 * The process's database (SPEC §2, `HOOKLINE_DATABASE_URL`): the SQLite file, the embedded default,
 * or PostgreSQL, shared by several nodes (docs/scale-out.md). Every part reads and writes through
 * its Store; what only SQLite has (the gateway's synchronous reads and its call store, the write
 * health that turns a full disk into 503s) takes `sqlite`. `readiness()` is the database part of
 * `/readyz` and of the `hookline_database_writable` gauge.
 */
import {
  openDatabase,
  pgStore,
  sqliteStore,
  type OpenedDatabase,
  type Store,
  type WriteHealthOptions,
} from "@hookline/db";
import { openPostgres, type OpenedPostgres } from "@hookline/db/pg";
import { log } from "@hookline/log";
import type { DatabaseLocation } from "./config.js";

export interface DatabaseReadiness {
  ok: boolean;
  state: string;
  /** When the current failing state began (ISO 8601), null while ok. */
  since: string | null;
  error: string | null;
}

interface Common {
  /** One Store per process: on SQLite its transactions queue among its own users (store.ts). */
  readonly store: Store;
  readiness(): DatabaseReadiness;
  close(): Promise<void>;
}

export interface SqliteProcessDatabase extends Common {
  readonly dialect: "sqlite";
  readonly sqlite: OpenedDatabase;
}

export interface PostgresProcessDatabase extends Common {
  readonly dialect: "postgres";
  readonly pg: OpenedPostgres;
  /** For connections of their own (the directory mirror's LISTEN). */
  readonly url: string;
}

export type ProcessDatabase = SqliteProcessDatabase | PostgresProcessDatabase;

export interface OpenProcessDatabaseOptions {
  /** SQLite: the write health's probe and log intervals. */
  writeHealth?: WriteHealthOptions;
  /** PostgreSQL: how often readiness pings the server while the process runs. Default 5000 ms. */
  pingIntervalMs?: number;
}

export async function openProcessDatabase(
  location: DatabaseLocation,
  options: OpenProcessDatabaseOptions = {},
): Promise<ProcessDatabase> {
  if (location.dialect === "sqlite") {
    const sqlite = openDatabase({
      file: location.file,
      backgroundCheckpoints: true,
      ...(options.writeHealth && { writeHealth: options.writeHealth }),
    });
    return {
      dialect: "sqlite",
      sqlite,
      store: sqliteStore(sqlite.db),
      readiness: () => sqliteReadiness(sqlite),
      close: () => {
        sqlite.close();
        return Promise.resolve();
      },
    };
  }
  const pg = await openPostgres({ url: location.url });
  const ping = new PostgresPing(pg, options.pingIntervalMs ?? 5000);
  return {
    dialect: "postgres",
    pg,
    url: location.url,
    store: pgStore(pg.db),
    readiness: () => ping.readiness(),
    close: async () => {
      ping.stop();
      await pg.close();
    },
  };
}

/** Readable, and writing (a full or failing disk is not: write-health.ts). */
function sqliteReadiness(sqlite: OpenedDatabase): DatabaseReadiness {
  const write = sqlite.health.status;
  let readable: boolean;
  try {
    readable = sqlite.sqlite.prepare("select 1 as ok").get() !== undefined;
  } catch {
    readable = false;
  }
  return {
    ok: readable && write.state === "ok",
    state: readable ? write.state : "unreadable",
    since: write.since === null ? null : new Date(write.since).toISOString(),
    error: write.error,
  };
}

/**
 * PostgreSQL's answer to `select 1`, asked every `intervalMs` (readiness is read synchronously, by
 * `/readyz` and `/metrics`): `unreachable` from the first failed or unanswered ping until one
 * succeeds.
 */
class PostgresPing {
  #state: DatabaseReadiness = { ok: true, state: "ok", since: null, error: null };
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly pg: OpenedPostgres,
    private readonly intervalMs: number,
  ) {
    this.#timer = setInterval(() => void this.#ping(), intervalMs);
    this.#timer.unref();
  }

  readiness(): DatabaseReadiness {
    return this.#state;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #ping(): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.pg.pool.query("select 1"),
        new Promise((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`no answer within ${this.intervalMs} ms`)),
            this.intervalMs,
          );
        }),
      ]);
      if (!this.#state.ok) log.warn({ component: "db" }, "[db] PostgreSQL answers again");
      this.#state = { ok: true, state: "ok", since: null, error: null };
    } catch (err) {
      const error = (err as Error).message;
      if (this.#state.ok) log.warn({ component: "db", err: error }, "[db] PostgreSQL does not answer");
      this.#state = {
        ok: false,
        state: "unreachable",
        since: this.#state.since ?? new Date().toISOString(),
        error,
      };
    } finally {
      clearTimeout(timeout);
    }
  }
}
