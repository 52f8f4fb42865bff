/**
 * The call store's writer thread (see call-store.ts): its own connection to the database file,
 * batches from the event loop written in the order they were posted. Shared with the event loop,
 * each notified when it changes (for its synchronous flush and close): `state[0]`, the sequence
 * number of the last batch written with nothing left over; `state[1]`, that of the last batch
 * tried (written or refused); `state[2]`, 1 once the connection is closed.
 */
import { parentPort, workerData } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { CallRowQueue, createCallRowWriter, type CallRow } from "./call-rows.js";
import { configureConnection } from "./connection.js";

export interface WriterData {
  file: string;
  busyTimeoutMs: number;
  state: SharedArrayBuffer;
}

/** What the event loop posts: a batch (`now`: write it even while waiting to retry), or close. */
export type WriterRequest = { seq: number; rows: CallRow[]; now: boolean } | { close: true };
/** What the writer posts back: a failure, as plain data. */
export interface WriterReport {
  message: string;
  code?: string;
}

const { file, busyTimeoutMs, state: buffer } = workerData as WriterData;
const state = new BigInt64Array(buffer);
const port = parentPort!;
const report = (err: unknown) =>
  port.postMessage({
    message: err instanceof Error ? err.message : String(err),
    code: (err as { code?: string })?.code,
  } satisfies WriterReport);

const sqlite = new BetterSqlite3(file);
configureConnection(sqlite, busyTimeoutMs);
let last = 0;
const queue = new CallRowQueue(createCallRowWriter(sqlite, report), report, () => {
  Atomics.store(state, 0, BigInt(last));
  Atomics.notify(state, 0);
});

port.on("message", (m: WriterRequest) => {
  if ("close" in m) {
    const lost = queue.stop();
    if (lost > 0)
      report(new Error(`call store: ${lost} call records not written (the database kept failing)`));
    sqlite.close();
    Atomics.store(state, 2, 1n);
    Atomics.notify(state, 2);
    port.close();
    return;
  }
  last = m.seq;
  queue.add(m.rows, m.now);
  Atomics.store(state, 1, BigInt(m.seq));
  Atomics.notify(state, 1);
});
