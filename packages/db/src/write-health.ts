/**
 * Whether the database can write, as this process last saw it. A full disk (SQLITE_FULL) or a
 * failing one (SQLITE_IOERR, a read-only file) does not stop reads, so the console and the calls
 * in progress go on; what must stop is accepting work whose records could not be kept: API writes
 * answer 503 and new calls get 503 (SPEC §2 data folder). Every writer in the process reports its
 * failures here (`noteFailure`); while the database cannot write, a probe commits a padded row
 * every `probeIntervalMs` to learn when it can again, and the log says so once a minute.
 */
import type BetterSqlite3 from "better-sqlite3";
import { log } from "@hookline/log";

const dbLog = log.child({ component: "db" });

export type WriteState = "ok" | "full" | "failing";

/** What a write error says about the database: `full` (no space), `failing` (I/O, read-only), or nothing. */
export function writeFailureKind(err: unknown): Exclude<WriteState, "ok"> | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_FULL" || /database or disk is full/.test(e.message)) return "full";
    if (typeof code !== "string") continue;
    if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_READONLY") || code === "SQLITE_CANTOPEN")
      return "failing";
  }
  return undefined;
}

export interface WriteHealthOptions {
  /** How often the probe runs while the database cannot write. Default 5000 ms. */
  probeIntervalMs?: number;
  /** How often the log repeats that the database still cannot write. Default 60 000 ms. */
  logIntervalMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface WriteHealthStatus {
  state: WriteState;
  /** When the current state began (ms), null while ok. */
  since: number | null;
  /** The last write failure's message, null while ok. */
  error: string | null;
  /** Write failures reported since the database stopped writing. */
  failures: number;
}

export class WriteHealth {
  #state: WriteState = "ok";
  #since: number | null = null;
  #error: string | null = null;
  #failures = 0;
  #loggedAt = 0;
  /** When the database last wrote again after failing: failures of writes tried before are stale. */
  #recoveredAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #probe: () => void;
  readonly #probeIntervalMs: number;
  readonly #logIntervalMs: number;
  readonly #log: (line: string) => void;
  readonly #now: () => number;

  /** `probe` performs a write that needs space (it throws when the database cannot write). */
  constructor(probe: () => void, options: WriteHealthOptions = {}) {
    this.#probe = probe;
    this.#probeIntervalMs = options.probeIntervalMs ?? 5000;
    this.#logIntervalMs = options.logIntervalMs ?? 60_000;
    this.#log = options.log ?? ((line) => dbLog.warn(line));
    this.#now = options.now ?? Date.now;
  }

  get writable(): boolean {
    return this.#state === "ok";
  }

  get status(): WriteHealthStatus {
    return { state: this.#state, since: this.#since, error: this.#error, failures: this.#failures };
  }

  /**
   * Reports a failed write. Returns true when the error says the database cannot write (it is
   * then counted, and logged at most once per `logIntervalMs`); false for any other error.
   * `triedAt` is when the write was tried, for a writer on another thread whose report may arrive
   * after a later write succeeded: a failure tried before the database wrote again is stale.
   */
  noteFailure(err: unknown, triedAt?: number): boolean {
    const kind = writeFailureKind(err);
    if (!kind) return false;
    if (triedAt !== undefined && triedAt < this.#recoveredAt) return true;
    const now = this.#now();
    this.#failures++;
    this.#error = err instanceof Error ? err.message : String(err);
    if (this.#state === "ok") {
      this.#state = kind;
      this.#since = now;
      this.#loggedAt = now;
      this.#log(
        `[db] the database cannot write (${this.#error}): API writes and new calls get 503; ` +
          "calls in progress go on and their records wait in memory",
      );
      this.#arm();
      return true;
    }
    this.#state = kind;
    this.#logStill(now);
    return true;
  }

  /** Reports a committed write: the database writes again. */
  noteWritten(): void {
    if (this.#state === "ok") return;
    const seconds = Math.round((this.#now() - (this.#since ?? this.#now())) / 1000);
    this.#log(
      `[db] the database writes again after ${seconds} s (${this.#failures} writes had failed); accepting calls`,
    );
    this.#state = "ok";
    this.#recoveredAt = this.#now();
    this.#since = null;
    this.#error = null;
    this.#failures = 0;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Tries a write now (the probe); returns whether the database writes. */
  probe(): boolean {
    if (this.#closed) return this.writable;
    try {
      this.#probe();
      this.noteWritten();
    } catch (err) {
      if (!this.noteFailure(err)) this.#log(`[db] the write probe failed: ${(err as Error).message}`);
    }
    return this.writable;
  }

  /** Stops the probe timer (the database is closing). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => {
      if (this.probe() || this.#closed) return;
      this.#logStill(this.#now());
    }, this.#probeIntervalMs);
    this.#timer.unref();
  }

  #logStill(now: number): void {
    if (now - this.#loggedAt < this.#logIntervalMs) return;
    this.#loggedAt = now;
    const since = new Date(this.#since ?? now).toISOString();
    this.#log(
      `[db] the database still cannot write (since ${since}, ${this.#failures} writes failed): ${this.#error}`,
    );
  }
}

/** Bytes the probe commits: a few pages, so a database with room for a handful of rows passes. */
const PROBE_BYTES = 16 * 1024;

/** The probe of an open connection: a padded row into `write_probe` and out again, two commits. */
export function writeProbe(sqlite: BetterSqlite3.Database): () => void {
  let statements: { put: BetterSqlite3.Statement; clear: BetterSqlite3.Statement } | undefined;
  return () => {
    statements ??= {
      put: sqlite.prepare("insert or replace into write_probe (id, pad) values (1, zeroblob(?))"),
      clear: sqlite.prepare("delete from write_probe"),
    };
    statements.put.run(PROBE_BYTES);
    statements.clear.run();
  };
}

/**
 * What packages/db keeps per database opened by openDatabase, for the writers in this package:
 * its write health, and its size cap in pages (SQLite's `max_page_count` is per connection, so the
 * call store's writer thread applies each change to its own connection too).
 */
export interface DatabaseWatch {
  health: WriteHealth;
  /** The cap set through OpenedDatabase.setMaxPageCount, if any. */
  maxPageCount: number | undefined;
  onMaxPageCount: Set<(pages: number) => void>;
}

const byConnection = new WeakMap<BetterSqlite3.Database, DatabaseWatch>();

export function registerDatabaseWatch(sqlite: BetterSqlite3.Database, watch: DatabaseWatch): void {
  byConnection.set(sqlite, watch);
}

/** The watch of a database opened by openDatabase (undefined for another handle). */
export function databaseWatchOf(db: { $client: BetterSqlite3.Database }): DatabaseWatch | undefined {
  return byConnection.get(db.$client);
}

/** The write health of a database opened by openDatabase (undefined for another handle). */
export function writeHealthOf(db: { $client: BetterSqlite3.Database }): WriteHealth | undefined {
  return byConnection.get(db.$client)?.health;
}
