/**
 * Routers shared by calls: one per worker and codec numbering, opened by the first call that needs
 * it and closed with the last one. Creating a router per call cost a worker request plus
 * mediasoup's capability computation, about a tenth of the gateway's time per call under load.
 * Calls numbering codecs alike (the same first offer's payload types, see mediasoup-media.ts) get
 * the same router; their transports, producers and consumers stay their own, and a consumer only
 * ever consumes its own call's producer.
 */
import type { Router, RtpCodecCapability } from "./call-media.js";
import type { WorkerPool } from "./worker-pool.js";

interface Entry {
  readonly key: string;
  readonly router: Promise<Router>;
  /** The worker process the router lives in. */
  readonly pid: number;
  /** Call ids using it. */
  readonly users: Set<string>;
}

export class RouterShare {
  readonly #pool: WorkerPool;
  readonly #onWorkerClose: (callIds: string[]) => void;
  readonly #entries = new Map<string, Entry>();
  readonly #byCall = new Map<string, Entry>();

  /** `onWorkerClose`: the calls of a router whose worker died. */
  constructor(pool: WorkerPool, onWorkerClose: (callIds: string[]) => void) {
    this.#pool = pool;
    this.#onWorkerClose = onWorkerClose;
  }

  /** Routers open (or opening) now. */
  get size(): number {
    return this.#entries.size;
  }

  /** A router for `callId` with `mediaCodecs`, on the next worker: an open one or a new one. */
  acquire(callId: string, mediaCodecs: RtpCodecCapability[]): Promise<Router> {
    const worker = this.#pool.pick();
    const key = `${worker.pid} ${JSON.stringify(mediaCodecs)}`;
    let entry = this.#entries.get(key);
    if (!entry) {
      const created: Entry = {
        key,
        router: worker.createRouter({ mediaCodecs }),
        pid: worker.pid,
        users: new Set(),
      };
      this.#entries.set(key, created);
      created.router.then(
        (router) =>
          router.on("workerclose", () => {
            this.#forget(created);
            const ids = [...created.users];
            for (const id of ids) this.#byCall.delete(id);
            created.users.clear();
            this.#onWorkerClose(ids);
          }),
        () => {
          this.#forget(created);
          for (const id of created.users) this.#byCall.delete(id);
          created.users.clear();
        },
      );
      entry = created;
    }
    entry.users.add(callId);
    this.#byCall.set(callId, entry);
    return entry.router;
  }

  /** The worker process of the call's router. */
  pidOf(callId: string): number | undefined {
    return this.#byCall.get(callId)?.pid;
  }

  /** The call is done with its router; the router closes when no call uses it. */
  release(callId: string): void {
    const entry = this.#byCall.get(callId);
    if (!entry) return;
    this.#byCall.delete(callId);
    entry.users.delete(callId);
    if (entry.users.size > 0) return;
    this.#forget(entry);
    entry.router.then(
      (router) => router.close(),
      () => {},
    );
  }

  #forget(entry: Entry): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
  }
}
