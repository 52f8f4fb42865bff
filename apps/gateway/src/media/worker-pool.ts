/**
 * One mediasoup worker per core (by default), restarted when one dies.
 * The call layer asks for a worker with `pick()`; a dead worker's routers are gone with it, so
 * `onWorkerDied` lets the owner of those calls end them.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { trackWorker } from "./census.js";
import { DEFAULT_WORKER_BIN, loadMediasoup, type Mediasoup } from "./mediasoup.js";
import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

type Worker = Mediasoup.types.Worker;

export interface WorkerPoolOptions {
  size?: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  logLevel?: "debug" | "warn" | "error" | "none";
  onWorkerDied?: (pid: number, error: Error) => void;
  /** A dead worker's replacement is running (`pids()` has changed). */
  onWorkerRestarted?: () => void;
}

const OWN_SESSION = fileURLToPath(new URL("../../bin/mediasoup-worker-own-session", import.meta.url));

/**
 * Workers start through a wrapper that puts each in a session of its own (see that script): a
 * terminal's Ctrl-C then reaches the gateway, which drains its calls, but not the workers
 * carrying their media. A worker still ends with the gateway: it exits when its channel closes.
 * mediasoup reads MEDIASOUP_WORKER_BIN once, when first imported, so this runs before that.
 */
function spawnWorkersInOwnSession(): void {
  if (process.env.HOOKLINE_MEDIASOUP_WORKER !== undefined) return;
  const real = process.env.MEDIASOUP_WORKER_BIN ?? DEFAULT_WORKER_BIN;
  // A missing binary is loadMediasoup's to report, by its own name.
  if (!existsSync(real)) return;
  process.env.HOOKLINE_MEDIASOUP_WORKER = real;
  process.env.MEDIASOUP_WORKER_BIN = OWN_SESSION;
}

export class WorkerPool {
  readonly #opts: WorkerPoolOptions;
  readonly #workers: Worker[] = [];
  #next = 0;
  #closed = false;

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#workers.length;
  }

  pids(): number[] {
    return this.#workers.map((w) => w.pid);
  }

  async start(): Promise<void> {
    const n = this.#opts.size ?? os.availableParallelism();
    for (let i = 0; i < n; i++) this.#workers.push(await this.#spawn(i, n));
  }

  /** Round-robin choice of a live worker. */
  pick(): Worker {
    const w = this.#workers[this.#next++ % this.#workers.length];
    if (!w) throw new Error("worker pool is not started");
    return w;
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#workers.splice(0)) w.close();
    return Promise.resolve();
  }

  async #spawn(index: number, count: number): Promise<Worker> {
    spawnWorkersInOwnSession();
    const ms = await loadMediasoup();
    // Each worker gets its own slice of the RTP range so restarts never collide.
    const span = Math.floor((this.#opts.rtcMaxPort - this.#opts.rtcMinPort + 1) / count);
    const worker = await ms.createWorker({
      logLevel: this.#opts.logLevel ?? "warn",
      // The `rtp` tag reports unmatched packets' SSRCs, which ssrc-learner.ts reads.
      logTags: ["rtp"],
      rtcMinPort: this.#opts.rtcMinPort + index * span,
      rtcMaxPort: this.#opts.rtcMinPort + (index + 1) * span - 1,
    });
    trackWorker(worker);
    worker.on("died", (error: Error) => {
      this.#opts.onWorkerDied?.(worker.pid, error);
      if (this.#closed) return;
      void this.#spawn(index, count).then(
        (fresh) => {
          if (this.#closed) return fresh.close();
          this.#workers[this.#workers.indexOf(worker)] = fresh;
          this.#opts.onWorkerRestarted?.();
        },
        (err: unknown) => mediaLog.error({ err }, "could not restart a mediasoup worker"),
      );
    });
    return worker;
  }
}
