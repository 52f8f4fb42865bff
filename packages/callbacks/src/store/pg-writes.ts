/**
 * PostgreSQL's group commit: the outbox (events + their deliveries) and delivery results (attempt
 * rows, new states) queued by many callers are written together, each batch as ONE statement
 * (data-modifying CTEs over `unnest`ed arrays), which PostgreSQL runs atomically: no round trip
 * per event, no BEGIN/COMMIT. A batch goes when it holds `maxBatch` items or `maxDelayMs` after
 * its first item. One batch is in flight at a time; what arrives meanwhile forms the next.
 *
 * A batch refused because the server cannot be reached (connection errors, SQLSTATE class 08,
 * 57P: shutdown) is kept and tried again every `retryMs`; any other error fails its items.
 */
import type { PgDatabase } from "@hookline/db/pg";
import type { Logger } from "../logger.js";

type Pool = PgDatabase["$client"];

/** The NOTIFY channel that says new deliveries were written (LISTENed to by delivery nodes). */
export const DELIVERIES_CHANNEL = "hookline_deliveries";

export interface EventRow {
  id: string;
  accountId: string;
  callId: string | null;
  seq: number | null;
  type: string;
  body: string;
  createdAt: number;
}
export interface DeliveryRow {
  id: string;
  eventId: string;
  callbackId: string;
  accountId: string;
  callId: string | null;
  seq: number | null;
  eventType: string;
  createdAt: number;
}
export interface AttemptRow {
  id: string;
  deliveryId: string;
  attempt: number;
  startedAt: number;
  latencyMs: number;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
}
/** A delivery's new state; applied only while this node holds its lease and it is still pending. */
export interface ResultRow {
  id: string;
  status: "pending" | "succeeded" | "failed";
  attemptCount: number | null;
  lastAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  completedAt: number | null;
}

type Item =
  | { kind: "outbox"; event: EventRow; deliveries: DeliveryRow[]; done: Settle }
  | { kind: "result"; attempt: AttemptRow | null; result: ResultRow; done: Settle };
interface Settle {
  resolve(): void;
  reject(err: unknown): void;
}

export interface PgWritesOptions {
  maxBatch?: number;
  maxDelayMs?: number;
  retryMs?: number;
}

export class PgWrites {
  readonly #pool: Pool;
  readonly #node: string;
  readonly #logger: Logger;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #retryMs: number;
  #queue: Item[] = [];
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #lastErrorLogAt = 0;
  commits = 0;
  maxCommitMs = 0;
  onCommitted: ((hadResults: boolean) => void) | null = null;

  constructor(pool: Pool, node: string, logger: Logger, options: PgWritesOptions = {}) {
    this.#pool = pool;
    this.#node = node;
    this.#logger = logger;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#maxDelayMs = options.maxDelayMs ?? 3;
    this.#retryMs = options.retryMs ?? 1000;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  outbox(event: EventRow, deliveries: DeliveryRow[]): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#push({ kind: "outbox", event, deliveries, done: { resolve, reject } }),
    );
  }

  result(attempt: AttemptRow | null, result: ResultRow): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#push({ kind: "result", attempt, result, done: { resolve, reject } }),
    );
  }

  /**
   * Writes what is queued now and waits for it (or for its failure). While the database is
   * unreachable, what is kept stays queued: `waiting` says how much.
   */
  async flush(): Promise<void> {
    if (this.#inFlight) await this.#inFlight;
    while (this.#queue.length > 0) {
      const before = this.#queue.length;
      this.#send();
      await this.#inFlight;
      if (this.#queue.length >= before) return; // kept for a retry: the database is unreachable
    }
  }

  #push(item: Item): void {
    this.#queue.push(item);
    if (this.#inFlight) return;
    if (this.#queue.length >= this.#maxBatch) this.#send();
    else this.#timer ??= setTimeout(() => this.#send(), this.#maxDelayMs);
  }

  #send(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#inFlight || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    const started = performance.now();
    this.#inFlight = this.#write(batch).then(
      () => {
        this.commits++;
        this.maxCommitMs = Math.max(this.maxCommitMs, performance.now() - started);
        for (const item of batch) item.done.resolve();
        this.#next();
        this.onCommitted?.(batch.some((i) => i.kind === "result"));
      },
      (err: unknown) => {
        if (unreachable(err)) {
          this.#log(err, batch.length, "database unreachable; batch kept for a retry");
          this.#queue = batch.concat(this.#queue);
          this.#inFlight = null;
          this.#timer = setTimeout(() => this.#send(), this.#retryMs);
          this.#timer.unref();
          return;
        }
        this.#log(err, batch.length, "batched write failed; its items failed");
        for (const item of batch) item.done.reject(err);
        this.#next();
      },
    );
  }

  #next(): void {
    this.#inFlight = null;
    if (this.#queue.length >= this.#maxBatch) this.#send();
    else if (this.#queue.length > 0) this.#timer ??= setTimeout(() => this.#send(), this.#maxDelayMs);
  }

  #log(err: unknown, items: number, msg: string): void {
    const now = Date.now();
    if (now - this.#lastErrorLogAt < 1000) return;
    this.#lastErrorLogAt = now;
    this.#logger.error({ err, items }, msg);
  }

  async #write(batch: Item[]): Promise<void> {
    const events: EventRow[] = [];
    const deliveries: DeliveryRow[] = [];
    const attempts: AttemptRow[] = [];
    const results: ResultRow[] = [];
    for (const item of batch) {
      if (item.kind === "outbox") {
        events.push(item.event);
        deliveries.push(...item.deliveries);
      } else {
        if (item.attempt) attempts.push(item.attempt);
        results.push(item.result);
      }
    }
    const params: unknown[] = [];
    const arr = <T>(rows: T[], get: (r: T) => unknown, type: string) => {
      params.push(rows.map(get));
      return `$${params.length}::${type}[]`;
    };
    const parts: string[] = [];
    if (events.length > 0) {
      parts.push(`e AS (INSERT INTO outbox_events (id, account_id, call_id, seq, type, body, created_at)
        SELECT * FROM unnest(${arr(events, (r) => r.id, "text")}, ${arr(events, (r) => r.accountId, "text")},
          ${arr(events, (r) => r.callId, "text")}, ${arr(events, (r) => r.seq, "int4")},
          ${arr(events, (r) => r.type, "text")}, ${arr(events, (r) => r.body, "text")},
          ${arr(events, (r) => r.createdAt, "int8")}))`);
    }
    if (deliveries.length > 0) {
      parts.push(`d AS (INSERT INTO deliveries (id, event_id, callback_id, account_id, call_id, seq, event_type,
          status, attempt_count, next_attempt_at, created_at)
        SELECT v.id, v.event_id, v.callback_id, v.account_id, v.call_id, v.seq, v.event_type, 'pending', 0,
          v.created_at, v.created_at
        FROM unnest(${arr(deliveries, (r) => r.id, "text")}, ${arr(deliveries, (r) => r.eventId, "text")},
          ${arr(deliveries, (r) => r.callbackId, "text")}, ${arr(deliveries, (r) => r.accountId, "text")},
          ${arr(deliveries, (r) => r.callId, "text")}, ${arr(deliveries, (r) => r.seq, "int4")},
          ${arr(deliveries, (r) => r.eventType, "text")}, ${arr(deliveries, (r) => r.createdAt, "int8")})
          AS v(id, event_id, callback_id, account_id, call_id, seq, event_type, created_at))`);
    }
    if (attempts.length > 0) {
      parts.push(`a AS (INSERT INTO delivery_attempts (id, delivery_id, attempt, started_at, latency_ms, status_code,
          response_excerpt, error)
        SELECT * FROM unnest(${arr(attempts, (r) => r.id, "text")}, ${arr(attempts, (r) => r.deliveryId, "text")},
          ${arr(attempts, (r) => r.attempt, "int4")}, ${arr(attempts, (r) => r.startedAt, "int8")},
          ${arr(attempts, (r) => r.latencyMs, "int4")}, ${arr(attempts, (r) => r.statusCode, "int4")},
          ${arr(attempts, (r) => r.responseExcerpt, "text")}, ${arr(attempts, (r) => r.error, "text")}))`);
    }
    if (results.length > 0) {
      params.push(this.#node);
      const node = `$${params.length}`;
      // attempt_count and last_* stay as they are for a delivery that ends without an attempt.
      parts.push(`u AS (UPDATE deliveries SET status = v.status,
          attempt_count = COALESCE(v.attempt_count, deliveries.attempt_count),
          last_attempt_at = COALESCE(v.last_attempt_at, deliveries.last_attempt_at),
          last_status_code = CASE WHEN v.attempt_count IS NULL THEN deliveries.last_status_code ELSE v.last_status_code END,
          last_error = v.last_error, next_attempt_at = v.next_attempt_at, completed_at = v.completed_at,
          lease_owner = NULL, lease_until = NULL
        FROM unnest(${arr(results, (r) => r.id, "text")}, ${arr(results, (r) => r.status, "text")},
          ${arr(results, (r) => r.attemptCount, "int4")}, ${arr(results, (r) => r.lastAttemptAt, "int8")},
          ${arr(results, (r) => r.lastStatusCode, "int4")}, ${arr(results, (r) => r.lastError, "text")},
          ${arr(results, (r) => r.nextAttemptAt, "int8")}, ${arr(results, (r) => r.completedAt, "int8")})
          AS v(id, status, attempt_count, last_attempt_at, last_status_code, last_error, next_attempt_at, completed_at)
        WHERE deliveries.id = v.id AND deliveries.status = 'pending' AND deliveries.lease_owner = ${node})`);
    }
    // New deliveries wake the delivery nodes listening (delivered at commit; polling covers a miss).
    const tail = deliveries.length > 0 ? `SELECT pg_notify('${DELIVERIES_CHANNEL}', '')` : "SELECT 1";
    await this.#pool.query(`WITH ${parts.join(",\n")} ${tail}`, params);
  }
}

/** Connection failures (node's `E*` codes, pg's "Connection terminated"), SQLSTATE 08 and 57P. */
function unreachable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string")
    return code.startsWith("08") || code.startsWith("57P") || code.startsWith("E");
  return err instanceof Error && /connection|terminated|timeout/i.test(err.message);
}
