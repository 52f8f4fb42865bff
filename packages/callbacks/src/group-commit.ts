/**
 * Groups small writes into one SQLite transaction: a batch commits when it holds `maxBatch` items
 * (default 256) or `maxDelayMs` (default 3) after its first item, whichever comes first, so throughput does not pay one
 * commit per event. `run()` resolves only after the batch holding its work has committed.
 *
 * A batch the database refuses because it cannot write (a full disk, an I/O error) is kept, with
 * what comes after it, and committed again every `retryMs` until it goes through: the events of
 * calls in progress are accepted once space returns instead of lost. Past `maxKept` items the
 * oldest are failed. Any other failure rolls the batch back and fails its items.
 */
import { writeFailureKind, writeHealthOf, type Database } from "@hookline/db";
import type { Logger } from "./logger.js";

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

interface Pending {
  work: (tx: Tx) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  maxBatch?: number;
  maxDelayMs?: number;
  /** How soon a batch the database could not write is tried again. Default 1000 ms. */
  retryMs?: number;
  /** Items kept while the database cannot write. Default 100 000. */
  maxKept?: number;
}

export class GroupCommit {
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #retryMs: number;
  readonly #maxKept: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Set while a refused batch waits for its retry. */
  #retrying = false;
  commits = 0;
  items = 0;
  /** Longest commit so far, ms: it blocks the event loop (better-sqlite3 is synchronous). */
  maxCommitMs = 0;

  constructor(db: Database, logger: Logger, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#logger = logger;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#maxDelayMs = options.maxDelayMs ?? 3;
    this.#retryMs = options.retryMs ?? 1000;
    this.#maxKept = options.maxKept ?? 100_000;
  }

  /** Items waiting for a commit (while the database cannot write, all of them). */
  get waiting(): number {
    return this.#queue.length;
  }

  run<T>(work: (tx: Tx) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // While a refused batch waits, its retry timer is the only one: no failing commit per item.
      if (this.#retrying) return;
      if (this.#queue.length >= this.#maxBatch) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#maxDelayMs);
    });
  }

  /** Commits what is queued now, synchronously. */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#retrying = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let results: unknown[];
    const started = performance.now();
    try {
      results = this.#db.transaction((tx) => batch.map((p) => p.work(tx)));
      this.maxCommitMs = Math.max(this.maxCommitMs, performance.now() - started);
    } catch (err) {
      if (writeFailureKind(err)) return this.#keep(batch, err);
      this.#logger.error({ err, items: batch.length }, "group commit failed; batch rolled back");
      for (const p of batch) p.reject(err);
      return;
    }
    this.commits++;
    this.items += batch.length;
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  /** The database cannot write: keep the batch (and later items) for a retry. */
  #keep(batch: Pending[], err: unknown): void {
    const health = writeHealthOf(this.#db);
    const wasWritable = health?.writable ?? true;
    // The write health logs the outage once a minute; without one, every refusal is logged.
    if (!health?.noteFailure(err) || wasWritable) {
      this.#logger.error(
        { err, items: batch.length },
        "group commit refused by the database; kept for a retry",
      );
    }
    this.#queue = batch.length === 0 ? this.#queue : batch.concat(this.#queue);
    if (this.#queue.length > this.#maxKept) {
      const dropped = this.#queue.splice(0, this.#queue.length - this.#maxKept);
      this.#logger.error(
        { items: dropped.length },
        "group commit: oldest kept items failed (the database keeps refusing)",
      );
      for (const p of dropped) p.reject(err);
    }
    this.#retrying = true;
    this.#timer = setTimeout(() => this.flush(), this.#retryMs);
    this.#timer.unref();
  }
}
