/**
 * WAL checkpoints in a worker thread. By default SQLite checkpoints inside the commit that takes
 * the WAL past 1000 pages, on the thread that commits: in the gateway that is the event loop, and
 * such commits took up to 80 ms under load (SIP retransmissions followed). With a checkpointer the
 * main connection never checkpoints (`wal_autocheckpoint = 0`); a second connection in a worker
 * runs a PASSIVE checkpoint (never blocks writers or readers) every `intervalMs`. If the worker
 * fails, the main connection checkpoints again as before.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
db.pragma("journal_size_limit = ${64 * 1024 * 1024}");
const run = () => {
  const [r] = db.pragma("wal_checkpoint(PASSIVE)");
  parentPort.postMessage(r);
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Checkpoints done, and the WAL frames still waiting after the last one. */
  readonly stats: { checkpoints: number; walFrames: number; failed: boolean };
  stop(): Promise<void>;
}

export function startCheckpointer(
  sqlite: BetterSqlite3.Database,
  file: string,
  {
    intervalMs = 500,
    onError = console.error,
  }: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): Checkpointer {
  const stats = { checkpoints: 0, walFrames: 0, failed: false };
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: createRequire(import.meta.url).resolve("better-sqlite3"), file, intervalMs },
  });
  worker.unref();
  sqlite.pragma("wal_autocheckpoint = 0");
  worker.on("message", (r: { log: number; checkpointed: number }) => {
    stats.checkpoints++;
    stats.walFrames = r.log - r.checkpointed;
  });
  const fallBack = (err: unknown) => {
    if (stats.failed) return;
    stats.failed = true;
    if (sqlite.open) sqlite.pragma("wal_autocheckpoint = 1000");
    onError(err);
  };
  worker.on("error", fallBack);
  let stopping = false;
  worker.on("exit", (code) => {
    if (!stopping) fallBack(new Error(`the WAL checkpointer exited (${code})`));
  });
  return {
    stats,
    stop: () => {
      stopping = true;
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage("stop");
      return exited;
    },
  };
}
