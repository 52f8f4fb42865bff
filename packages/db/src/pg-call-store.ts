/**
 * The call store (call-store.ts) on PostgreSQL, for a gateway on `HOOKLINE_DATABASE_URL` (SPEC §2):
 * the same rows, queued synchronously and handed over as a batch `maxDelayMs` after the first or at
 * `maxBatch` rows, each batch written in ONE transaction, batches strictly one after another in
 * queue order (an update never overtakes its insert), on one pooled connection at a time.
 *
 * A batch costs a few statements, not one per row (pg-call-statements.ts).
 *
 * A batch the server refuses whole (unreachable, shutting down, out of space: anything but a bad
 * row) is kept, with what comes after it, and tried again `retryMs` later, up to MAX_QUEUED rows,
 * as call-rows.ts's queue does on SQLite. A bad row (SQLSTATE class 22 or 23: a constraint or a
 * value refuses it) rolls its batch back; the batch is then written row by row, the bad rows
 * reported and skipped.
 *
 * `flush()` and `close()` cannot block the event loop for a server: they return a Promise,
 * resolved once everything queued before the call has been tried (written, or kept for a retry).
 * It never rejects; failures go to `onError`.
 */
import { log } from "@hookline/log";
import type pg from "pg";
import { batchedCallStore, type CallStore } from "./call-store.js";
import { notWritten, type CallRow } from "./call-rows.js";
import { batchStatements, encoded } from "./pg-call-statements.js";
import type { PgDatabase } from "./pg.js";

export interface PgCallStoreOptions {
  /** Longest a row waits for its batch, ms. Default 20. */
  maxDelayMs?: number;
  /** A batch this long is written at once. Default 1000. */
  maxBatch?: number;
  /** How soon a refused batch is tried again, ms. Default 1000. */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

/** The PostgreSQL call store: `flush()` and `close()` return Promises. */
export interface PgCallStore extends CallStore {
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Rows kept while the server refuses batches (as on SQLite, call-rows.ts). */
const MAX_QUEUED = 100_000;

export function createPgCallStore(db: PgDatabase, options: PgCallStoreOptions = {}): PgCallStore {
  const { maxDelayMs = 20, maxBatch = 1000, retryMs = 1000 } = options;
  const onError =
    options.onError ??
    ((err: unknown) => log.child({ component: "db" }).error({ err }, "call records not written"));
  const queue = new PgCallRowQueue(db.$client, { maxBatch, retryMs, onError });
  return batchedCallStore<Promise<void>>(
    {
      write: (rows, now) => queue.add(rows, now),
      close: () => queue.close(),
      settled: () => queue.settled(),
    },
    { maxDelayMs, maxBatch },
    onError,
  );
}

/** A bad row: SQLSTATE class 22 (data exception) or 23 (integrity constraint violation). */
const isBadRow = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
};

/**
 * Rows on their way to the server, written by one attempt at a time, in order. An attempt writes
 * everything queued when it starts, `maxBatch` rows to a transaction; a refused transaction stops
 * it, keeping its rows and those after for a retry `retryMs` later (or an explicit flush's attempt).
 * A failing streak is reported once, at its first failure.
 */
class PgCallRowQueue {
  #rows: CallRow[] = [];
  #retry: NodeJS.Timeout | undefined;
  /** The last attempt started or queued; attempts run one after another. */
  #tail: Promise<void> = Promise.resolve();
  /** An attempt queued behind the running one, not started yet: it will take what comes in now. */
  #next: Promise<void> | null = null;
  #failing = false;
  #stopped = false;
  readonly #pool: pg.Pool;
  readonly #maxBatch: number;
  readonly #retryMs: number;
  readonly #onError: (err: unknown) => void;

  constructor(
    pool: pg.Pool,
    options: { maxBatch: number; retryMs: number; onError: (err: unknown) => void },
  ) {
    this.#pool = pool;
    this.#maxBatch = options.maxBatch;
    this.#retryMs = options.retryMs;
    this.#onError = options.onError;
  }

  /** Queues a batch; resolved once it has been tried (or, while waiting to retry, once that is). */
  add(rows: CallRow[], now: boolean): Promise<void> {
    if (this.#stopped) return this.#tail;
    this.#rows = this.#rows.length === 0 ? rows : this.#rows.concat(rows);
    // While the database fails, new rows wait for the retry (unless flushed): no attempt per row.
    if ((this.#retry !== undefined || this.#failing) && !now) return this.#tail;
    return this.#start();
  }

  /** Resolved once everything queued so far has been tried. */
  settled(): Promise<void> {
    return this.#tail;
  }

  /** A last attempt, then stops: rows still not written are reported and dropped. */
  async close(): Promise<void> {
    if (this.#stopped) return this.#tail;
    await this.#start();
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const lost = this.#rows.length;
    this.#rows = [];
    if (lost > 0) this.#onError(notWritten(lost));
  }

  #start(): Promise<void> {
    if (this.#next) return this.#next;
    const next = this.#tail.then(() => {
      this.#next = null;
      return this.#attempt();
    });
    this.#next = next;
    this.#tail = next;
    return next;
  }

  async #attempt(): Promise<void> {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    // Only what is queued now: rows that come during the attempt start the next one.
    let left = this.#rows.length;
    while (left > 0) {
      const batch = this.#rows.slice(0, Math.min(left, this.#maxBatch));
      const { done, err } = await this.#write(batch);
      // Rows are only appended meanwhile: the batch is still at the front.
      this.#rows.splice(0, done);
      left -= done;
      if (err !== undefined) {
        if (!this.#failing) this.#onError(err);
        this.#failing = true;
        if (this.#rows.length > MAX_QUEUED) {
          const over = this.#rows.splice(0, this.#rows.length - MAX_QUEUED).length;
          this.#onError(
            new Error(`call store: ${over} queued call records dropped (the database keeps failing)`),
          );
        }
        if (!this.#stopped) {
          this.#retry = setTimeout(() => void this.#start(), this.#retryMs);
          this.#retry.unref();
        }
        return;
      }
    }
    this.#failing = false;
    // Rows that waited during a retry that succeeded go now.
    if (this.#rows.length > 0 && !this.#stopped) void this.#start();
  }

  /**
   * Writes a batch in one transaction; after a bad row, row by row. Returns how many of its rows
   * are done with (written, or reported as bad), and the error that stopped it, if one did.
   */
  async #write(batch: CallRow[]): Promise<{ done: number; err?: unknown }> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      return { done: 0, err };
    }
    // A checked-out client has no listener of the pool's: a connection lost between two queries
    // must not become an uncaught 'error' event (the next query fails instead).
    const ignore = () => {};
    client.on("error", ignore);
    let broken: unknown;
    try {
      const rows = batch.map((row) => encoded(row, this.#onError));
      try {
        await client.query("BEGIN");
        for (const s of batchStatements(rows)) await client.query(s.text, s.values);
        await client.query("COMMIT");
        return { done: batch.length };
      } catch (err) {
        await client.query("ROLLBACK").catch((e: unknown) => (broken = e));
        if (!isBadRow(err) || broken !== undefined) {
          broken ??= err;
          return { done: 0, err };
        }
      }
      // A bad row: the rows one by one (each its own transaction), the bad ones reported.
      for (let i = 0; i < rows.length; i++) {
        for (const s of batchStatements([rows[i]])) {
          try {
            await client.query(s.text, s.values);
          } catch (err) {
            if (!isBadRow(err)) {
              broken = err;
              return { done: i, err };
            }
            this.#onError(err);
          }
        }
      }
      return { done: batch.length };
    } finally {
      client.off("error", ignore);
      // A connection that failed is not given back to the pool for another use.
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  }
}
