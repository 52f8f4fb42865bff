/**
 * WAL checkpoints in a worker thread. By default SQLite checkpoints inside the commit that takes
 * the WAL past 1000 pages, on the thread that commits: in the gateway that is the event loop, and
 * such commits took up to 80 ms under load (SIP retransmissions followed). With a checkpointer the
 * main connection never checkpoints inside a commit (`wal_autocheckpoint = 0`); a second
 * connection in a worker runs a PASSIVE checkpoint (never blocks writers or readers) every
 * `intervalMs`, which does the copying and the fsyncs.
 *
 * Under steady writes that alone lets the WAL grow without end: SQLite starts the log over only
 * when a writer finds every frame already copied, and a commit every few ms always lands during
 * the worker's checkpoint. So the main connection also checks the WAL's size every `intervalMs`;
 * past `restartBytes` it runs one PASSIVE checkpoint itself, between two commits, which has only
 * the last few frames left to copy, and the next commit starts the log over (truncated to
 * `restartBytes` by `journal_size_limit`). The call store's writer thread, which makes most of
 * the gateway's commits, takes the main connection's two settings (call-store.ts). If the worker
 * fails, the main connection checkpoints inside its commits again, as by default (the writer
 * thread's connection does not: it keeps the settings it started with).
 */
import { log } from "@hookline/log";
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
const timer = setInterval(() => db.pragma("wal_checkpoint(PASSIVE)"), workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  intervalMs?: number;
  /** WAL size past which the main connection makes the log start over. Default 64 MiB. */
  restartBytes?: number;
  onError?: (err: unknown) => void;
}

export interface Checkpointer {
  /** The WAL's size at the last check, and how often the main connection caught up with it. */
  readonly stats: { walBytes: number; mainCheckpoints: number; failed: boolean };
  stop(): Promise<void>;
}

export function startCheckpointer(
  sqlite: BetterSqlite3.Database,
  file: string,
  {
    intervalMs = 500,
    restartBytes = 64 * 1024 * 1024,
    onError = (err: unknown) => log.child({ component: "db" }).error({ err }, "WAL checkpoint failed"),
  }: CheckpointerOptions = {},
): Checkpointer {
  const stats = { walBytes: 0, mainCheckpoints: 0, failed: false };
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: createRequire(import.meta.url).resolve("better-sqlite3"), file, intervalMs },
  });
  worker.unref();
  sqlite.pragma("wal_autocheckpoint = 0");
  sqlite.pragma(`journal_size_limit = ${restartBytes}`);

  const watch = setInterval(() => {
    if (!sqlite.open) return;
    stats.walBytes = walSize(file);
    if (stats.walBytes <= restartBytes) return;
    // Busy while the worker's checkpoint runs: tried again next time.
    const [r] = sqlite.pragma("wal_checkpoint(PASSIVE)") as { busy: number }[];
    if (r?.busy === 0) stats.mainCheckpoints++;
  }, intervalMs);
  watch.unref();

  const fallBack = (err: unknown) => {
    if (stats.failed) return;
    stats.failed = true;
    clearInterval(watch);
    if (sqlite.open) sqlite.pragma("wal_autocheckpoint = 1000");
    onError(err);
  };
  worker.on("error", fallBack);
  let stopping = false;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.once("exit", (code) => {
      exited = true;
      if (!stopping) fallBack(new Error(`the WAL checkpointer exited (${code})`));
      resolve();
    }),
  );
  return {
    stats,
    stop: () => {
      stopping = true;
      clearInterval(watch);
      if (!exited) worker.postMessage("stop");
      return exit;
    },
  };
}

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
