/**
 * The call store's writer thread (see call-store.ts): its own connection to the database file,
 * batches from the event loop written in the order they were posted. What the event loop's
 * synchronous flush and close wait on is shared memory (`SLOT` in call-rows.ts), notified on
 * every change; failures come back as messages.
 */
import { parentPort, workerData } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { CallRowQueue, createCallRowWriter, SLOT, type CallRow } from "./call-rows.js";
import { configureConnection } from "./connection.js";

export interface WriterData {
  file: string;
  busyTimeoutMs: number;
  /** The event loop connection's settings, which the checkpointer may have changed. */
  walAutocheckpoint: number;
  journalSizeLimit: number;
  /** The database's size cap (OpenedDatabase.setMaxPageCount), if one was set. */
  maxPageCount?: number;
  state: SharedArrayBuffer;
}

/**
 * What the event loop posts: a batch (`now`: write it even while waiting to retry), a new size cap
 * for this connection (SQLite's `max_page_count` is per connection), or close.
 */
export type WriterRequest =
  { seq: number; rows: CallRow[]; now: boolean } | { maxPageCount: number } | { close: true };
/** What the writer posts back: a failure, as plain data, with when the write was tried. */
export interface WriterReport {
  message: string;
  code?: string;
  triedAt: number;
}

const data = workerData as WriterData;
const state = new BigInt64Array(data.state);
const set = (slot: number, value: number) => {
  Atomics.store(state, slot, BigInt(value));
  Atomics.notify(state, slot);
};
// Whatever ends this thread wakes a waiting event loop.
process.on("exit", () => {
  Atomics.store(state, SLOT.dead, 1n);
  for (const slot of [SLOT.tried, SLOT.closed]) Atomics.notify(state, slot);
});

const port = parentPort!;
const report = (err: unknown) =>
  port.postMessage({
    message: err instanceof Error ? err.message : String(err),
    code: (err as { code?: string })?.code,
    triedAt: Date.now(),
  } satisfies WriterReport);

const sqlite = new BetterSqlite3(data.file);
configureConnection(sqlite, data.busyTimeoutMs);
sqlite.pragma(`wal_autocheckpoint = ${data.walAutocheckpoint}`);
sqlite.pragma(`journal_size_limit = ${data.journalSizeLimit}`);
if (data.maxPageCount !== undefined) sqlite.pragma(`max_page_count = ${data.maxPageCount}`);
let last = 0;
const queue = new CallRowQueue(createCallRowWriter(sqlite, report), report, () => set(SLOT.written, last));

port.on("message", (m: WriterRequest) => {
  if ("close" in m) {
    queue.add([], true); // a last try for rows a refused batch left behind
    Atomics.store(state, SLOT.lost, BigInt(queue.stop()));
    sqlite.close();
    set(SLOT.closed, 1);
    port.close();
    return;
  }
  if ("maxPageCount" in m) {
    sqlite.pragma(`max_page_count = ${m.maxPageCount}`);
    return;
  }
  last = m.seq;
  queue.add(m.rows, m.now);
  set(SLOT.tried, m.seq);
});
