/**
 * Groups small writes into one SQLite transaction: a batch commits when it holds `maxBatch` items
 * (default 256) or `maxDelayMs` (default 3) after its first item, whichever comes first, so throughput does not pay one
 * commit per event. `run()` resolves only after the batch holding its work has committed.
 */
import type { Database } from "@hookline/db";
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
}

export class GroupCommit {
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  commits = 0;
  items = 0;
  /** Longest commit so far, ms: it blocks the event loop (better-sqlite3 is synchronous). */
  maxCommitMs = 0;

  constructor(db: Database, logger: Logger, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#logger = logger;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#maxDelayMs = options.maxDelayMs ?? 3;
  }

  run<T>(work: (tx: Tx) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
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
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let results: unknown[];
    const started = performance.now();
    try {
      results = this.#db.transaction((tx) => batch.map((p) => p.work(tx)));
      this.maxCommitMs = Math.max(this.maxCommitMs, performance.now() - started);
    } catch (err) {
      this.#logger.error({ err, items: batch.length }, "group commit failed; batch rolled back");
      for (const p of batch) p.reject(err);
      return;
    }
    this.commits++;
    this.items += batch.length;
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
