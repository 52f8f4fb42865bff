/**
 * Writes of the gateway's call records (calls, legs, the per-call SIP trace), in batches: a call
 * produces a few dozen rows, and one transaction per batch instead of one per row is what keeps
 * the trace from bounding calls per second. A batch is written `maxDelayMs` after its first row or
 * at `maxBatch` rows; a reader in this process that must see everything calls `flush()` first (the
 * console does before it reads calls), other processes see rows within `maxDelayMs`.
 *
 * With `writerThread` (the gateway) and a database file, the batches are written by a worker
 * thread on its own connection (call-store-worker.ts): the inserts and commits were a tenth of the
 * event loop's time at the gateway benchmark's limit. `flush()` and `close()` stay synchronous:
 * they wait on shared counters until the thread has tried what was posted (written it, or kept it
 * for a retry) and, for close, closed its connection. If the thread fails, the batches it had not
 * confirmed written are written on the event loop, and so is everything after.
 *
 * On PostgreSQL the same store (the same rows and batches, `batchedCallStore` below) is
 * pg-call-store.ts's; its `flush()` and `close()` return Promises, so callers await them.
 */
import { log } from "@hookline/log";
import type { Worker } from "node:worker_threads";
import { CallRowQueue, createCallRowWriter, notWritten, SLOT, type CallRow } from "./call-rows.js";
import type { WriterData, WriterReport, WriterRequest } from "./call-store-worker.js";
import { startModuleWorker } from "./module-worker.js";
import type { Database } from "./open-database.js";
import type { calls, CallHook, CallLeg, CallMessage } from "./schema/calls.js";
import { databaseWatchOf, type DatabaseWatch } from "./write-health.js";

type NewCall = typeof calls.$inferInsert;
type CallPatch = Partial<Omit<NewCall, "id">>;
type LegPatch = Partial<Omit<CallLeg, "id" | "callId">>;
/** A trace row; `body` may be left out (a message without one). */
type NewMessage = Omit<CallMessage, "body"> & { body?: string | null };

/** The trace keeps message bodies (SDP) up to 16 KiB (SPEC §4); `bodySize` says what was cut. */
export const TRACE_BODY_LIMIT = 16 * 1024;

/**
 * A message body as the trace keeps it: UTF-8 text of its first {@link TRACE_BODY_LIMIT} bytes,
 * cut before a character that would not fit whole; null when there is no body.
 */
export function traceBody(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  let end = Math.min(bytes.length, TRACE_BODY_LIMIT);
  // Back off over UTF-8 continuation bytes (10xxxxxx) so no character is split (RFC 3629 §3).
  if (end < bytes.length) while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

export interface CallStore {
  insertCall(row: NewCall): void;
  updateCall(id: string, patch: CallPatch): void;
  insertLeg(row: CallLeg): void;
  updateLeg(id: string, patch: LegPatch): void;
  insertMessage(row: NewMessage): void;
  /** An application-hook request on the call's timeline (SPEC §5). */
  insertHook(row: CallHook): void;
  /**
   * Writes what is queued now (also done automatically `maxDelayMs` after the first queued row).
   * SQLite: returns once it is written (or kept for a retry); with a writer thread, waits at most
   * 5 s until the thread has tried it, and a failure is reported when the thread's report arrives,
   * a little later. PostgreSQL (pg-call-store.ts): cannot block, so returns a Promise, resolved
   * once everything queued before the call has been tried. Callers that must see the rows await it.
   */
  flush(): void | Promise<void>;
  /**
   * Writes what is queued; later records are dropped (reported once): the database is closing.
   * PostgreSQL: a Promise, resolved once that last write has been tried.
   */
  close(): void | Promise<void>;
}

/** The SQLite store: `flush()` and `close()` return once done. */
export interface SqliteCallStore extends CallStore {
  flush(): void;
  close(): void;
}

export interface CallStoreOptions {
  /** Longest a row waits for its batch, ms. Default 20. */
  maxDelayMs?: number;
  /** A batch this long is written at once. Default 1000. */
  maxBatch?: number;
  /** Write in a worker thread (ignored for an in-memory database). Default false. */
  writerThread?: boolean;
  /** Called with the writer thread once started (tests end it to show nothing is lost). */
  onWriterThread?: (worker: Worker) => void;
  onError?: (err: unknown) => void;
}

/** A body given as text, held to the limit (a caller that did not go through traceBody). */
const cut = (body: string | null) =>
  body === null || body.length <= TRACE_BODY_LIMIT / 4 ? body : traceBody(new TextEncoder().encode(body));

/** Longest `flush()` and `close()` block the event loop waiting for the writer thread. */
const WAIT_MS = 5000;
/** Batches kept for a failing thread's fallback (a thread this far behind still holds the older ones). */
const MAX_UNCONFIRMED = 200;

/** Where batches go: written here, or posted to the writer thread. */
interface Sink {
  /** `now`: an explicit flush, which also waits until the batch has been tried. */
  write(rows: CallRow[], now: boolean): void;
  close(): void;
}

export function createCallStore(db: Database, options: CallStoreOptions = {}): SqliteCallStore {
  const { maxDelayMs = 20, maxBatch = 1000 } = options;
  const sqlite = db.$client;
  const watch = databaseWatchOf(db);
  // A database that cannot write fails every retry (each second): the first failure is reported,
  // the database's write health says the rest once a minute (write-health.ts).
  const onError = (err: unknown) => {
    const wasWritable = watch?.health.writable ?? true;
    const triedAt = (err as { triedAt?: number } | undefined)?.triedAt;
    // Already said, or stale (tried before the database wrote again): nothing new to report.
    if (watch?.health.noteFailure(err, triedAt) && (!wasWritable || watch.health.writable)) return;
    (
      options.onError ??
      ((e: unknown) => log.child({ component: "db" }).error({ err: e }, "call records not written"))
    )(err);
  };
  const sink: Sink =
    options.writerThread && !sqlite.memory
      ? threadSink(db, onError, watch, options.onWriterThread)
      : localSink(db, onError);
  return batchedCallStore<void>(
    {
      write: (rows, now) => sink.write(rows, now),
      close: () => sink.close(),
      settled: () => undefined,
    },
    { maxDelayMs, maxBatch },
    onError,
  );
}

/**
 * Where a batched store's batches go: `write(rows, now)` takes a batch, in queue order (`now`: an
 * explicit flush, tried at once even while a refused batch waits for its retry); `settled()` is
 * for a call that adds nothing (a flush after close): done once everything handed over is tried.
 */
export interface CallRowSink<R extends void | Promise<void>> {
  write(rows: CallRow[], now: boolean): R;
  close(): R;
  settled(): R;
}

/**
 * The CallStore of either dialect over its sink: rows made from the calls (plain values, in the
 * statements' named parameters of call-rows.ts), queued synchronously and handed to the sink as
 * a batch `maxDelayMs` after the first or at `maxBatch` rows.
 */
export function batchedCallStore<R extends void | Promise<void>>(
  sink: CallRowSink<R>,
  { maxDelayMs, maxBatch }: { maxDelayMs: number; maxBatch: number },
  onError: (err: unknown) => void,
): CallStore & { flush(): R; close(): R } {
  let batch: CallRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let dropped = 0;

  const send = (now: boolean): R => {
    clearTimeout(timer);
    timer = undefined;
    const rows = batch;
    batch = [];
    return rows.length > 0 || now ? sink.write(rows, now) : sink.settled();
  };
  const enqueue = (s: CallRow["s"], p: CallRow["p"]) => {
    if (closed) {
      if (dropped++ === 0) onError(new Error("call store is closed: a late call record was dropped"));
      return;
    }
    batch.push({ s, p });
    if (batch.length >= maxBatch) void send(false);
    else timer ??= setTimeout(() => void send(false), maxDelayMs);
  };

  return {
    insertCall: (row) =>
      enqueue("insertCall", {
        id: row.id,
        accountId: row.accountId,
        domainId: row.domainId ?? null,
        sipCallId: row.sipCallId,
        from: row.from,
        to: row.to,
        origin: row.origin ?? "inbound",
        state: row.state,
        startedAt: row.startedAt,
        nodeId: row.nodeId ?? null,
      }),
    updateCall: (id, patch) =>
      enqueue("updateCall", {
        id,
        state: patch.state ?? null,
        ringingAt: patch.ringingAt ?? null,
        answeredAt: patch.answeredAt ?? null,
        endedAt: patch.endedAt ?? null,
        endStatus: patch.endStatus ?? null,
        endReason: patch.endReason ?? null,
      }),
    insertLeg: (row) => enqueue("insertLeg", row),
    updateLeg: (id, patch) =>
      enqueue("updateLeg", {
        id,
        state: patch.state ?? null,
        remoteTag: patch.remoteTag ?? null,
        answeredAt: patch.answeredAt ?? null,
        endedAt: patch.endedAt ?? null,
      }),
    // The headers go as an object: the writer makes them JSON (in the thread, off the event loop).
    insertMessage: (row) => enqueue("insertMessage", { ...row, body: cut(row.body ?? null) }),
    insertHook: (row) => enqueue("insertHook", row),
    flush: () => (closed ? sink.settled() : send(true)),
    close() {
      if (closed) return sink.settled();
      void send(true);
      closed = true;
      return sink.close();
    },
  };
}

function localSink(db: Database, onError: (err: unknown) => void): Sink {
  const queue = new CallRowQueue(createCallRowWriter(db.$client, onError), onError);
  return {
    write: (rows, now) => queue.add(rows, now),
    close: () => {
      const lost = queue.stop();
      if (lost > 0) onError(notWritten(lost));
    },
  };
}

function threadSink(
  db: Database,
  onError: (err: unknown) => void,
  watch: DatabaseWatch | undefined,
  started?: (worker: Worker) => void,
): Sink {
  const sqlite = db.$client;
  const state = new BigInt64Array(new SharedArrayBuffer(8 * Object.keys(SLOT).length));
  const worker = startModuleWorker(new URL("./call-store-worker.ts", import.meta.url), {
    file: sqlite.name,
    busyTimeoutMs: sqlite.pragma("busy_timeout", { simple: true }) as number,
    walAutocheckpoint: sqlite.pragma("wal_autocheckpoint", { simple: true }) as number,
    journalSizeLimit: sqlite.pragma("journal_size_limit", { simple: true }) as number,
    ...(watch?.maxPageCount !== undefined && { maxPageCount: watch.maxPageCount }),
    state: state.buffer,
  } satisfies WriterData);
  worker.unref();
  const capped = (maxPageCount: number) => worker.postMessage({ maxPageCount } satisfies WriterRequest);
  watch?.onMaxPageCount.add(capped);
  started?.(worker);
  const slot = (s: number) => Number(Atomics.load(state, s));
  let seq = 0;
  /** Posted and not yet confirmed, for the event loop to write should the thread fail. */
  let unconfirmed: { seq: number; rows: CallRow[] }[] = [];
  /** Batches no longer kept here (MAX_UNCONFIRMED), up to this one: lost if the thread dies with them. */
  let untrackedUpTo = 0;
  let fallback: Sink | undefined;
  let closing = false;

  const failed = (err: unknown) => {
    if (fallback || closing) return;
    onError(err);
    fallback = localSink(db, onError);
    const left = unconfirmed.filter((b) => b.seq > slot(SLOT.written)).flatMap((b) => b.rows);
    unconfirmed = [];
    if (untrackedUpTo > slot(SLOT.written)) {
      onError(
        new Error(
          "call store: call records posted to the failed writer thread may be lost (it was far behind)",
        ),
      );
    }
    void worker.terminate();
    if (left.length > 0) fallback.write(left, true);
  };
  worker.on("message", (r: WriterReport) =>
    onError(Object.assign(new Error(r.message), { triedAt: r.triedAt }, r.code && { code: r.code })),
  );
  // The cause, even when the thread's end was noticed first (by a waiting flush).
  worker.on("error", (err) => (fallback ? onError(err) : failed(err)));
  worker.on("exit", (code) => failed(new Error(`call store: the writer thread exited (${code})`)));

  /** Blocks until `slot` reaches `target`, the thread ends (then falls back at once), or WAIT_MS. */
  const wait = (s: number, target: number) => {
    const deadline = Date.now() + WAIT_MS;
    for (let v = Atomics.load(state, s); Number(v) < target; v = Atomics.load(state, s)) {
      if (slot(SLOT.dead) === 1) return failed(new Error("call store: the writer thread ended"));
      const left = deadline - Date.now();
      if (left <= 0) return;
      // In slices: the thread's end is noticed even if it comes between the check and the wait.
      Atomics.wait(state, s, v, Math.min(left, 50));
    }
  };

  return {
    write(rows, now) {
      if (fallback) return fallback.write(rows, now);
      // An explicit flush with nothing new, and nothing the thread still holds, has nothing to do.
      if (rows.length === 0 && seq <= slot(SLOT.written)) return;
      seq++;
      worker.postMessage({ seq, rows, now } satisfies WriterRequest);
      const done = slot(SLOT.written);
      unconfirmed = unconfirmed.filter((b) => b.seq > done);
      unconfirmed.push({ seq, rows });
      if (unconfirmed.length > MAX_UNCONFIRMED) untrackedUpTo = unconfirmed.shift()!.seq;
      if (now) wait(SLOT.tried, seq);
    },
    close() {
      watch?.onMaxPageCount.delete(capped);
      if (!fallback) {
        closing = true;
        worker.postMessage({ close: true } satisfies WriterRequest);
        wait(SLOT.closed, 1);
        if (slot(SLOT.closed) === 1) {
          const lost = slot(SLOT.lost);
          if (lost > 0) onError(notWritten(lost));
          return;
        }
        // Not closed in time, or ended: what it did not confirm is written here.
        closing = false;
        failed(
          new Error(
            slot(SLOT.dead) === 1
              ? "call store: the writer thread ended while closing"
              : `call store: the writer thread did not close within ${WAIT_MS} ms`,
          ),
        );
      }
      fallback!.close();
    },
  };
}
