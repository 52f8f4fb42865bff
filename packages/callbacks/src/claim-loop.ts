/**
 * Claims lane heads for a dispatcher on a shared database (PostgreSQL, several delivery nodes):
 * as much as the dispatcher has room for, whenever asked (results committed, events accepted here
 * or, through LISTEN/NOTIFY, by another process) and every poll interval (retries coming due,
 * leases of a dead node running out, a missed notification). One claim at a time; a request during a claim runs another right after it.
 */
import type { Logger } from "./logger.js";
import type { ClaimedDelivery, LeasedDeliveries } from "./store/callback-store.js";

export interface ClaimLoopOptions {
  /** How many more deliveries the dispatcher can hold now. */
  room(): number;
  take(claimed: ClaimedDelivery[]): void;
  pollIntervalMs: number;
}

export class ClaimLoop {
  readonly #source: LeasedDeliveries;
  readonly #logger: Logger;
  readonly #o: ClaimLoopOptions;
  #running = false;
  #claiming: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #lastErrorLogAt = 0;
  #listening: Promise<(() => Promise<void>) | null> | null = null;

  constructor(source: LeasedDeliveries, logger: Logger, options: ClaimLoopOptions) {
    this.#source = source;
    this.#logger = logger;
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#timer = setInterval(() => this.request(), this.#o.pollIntervalMs);
    this.#timer.unref();
    this.#listening = this.#source
      .listen(() => this.request())
      .catch((err: unknown) => {
        this.#logger.warn({ err }, "cannot LISTEN for new deliveries; polling only");
        return null;
      });
    this.request();
  }

  request(): void {
    if (!this.#running) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#claiming = this.#claim().finally(() => {
      this.#claiming = null;
      if (this.#again) {
        this.#again = false;
        setImmediate(() => this.request());
      }
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    const unlisten = await this.#listening;
    this.#listening = null;
    await unlisten?.();
    await this.#claiming;
  }

  release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.#source.release(ids).catch((err: unknown) => {
      this.#logger.warn({ err, deliveries: ids.length }, "could not give leases back; they run out instead");
    });
  }

  async #claim(): Promise<void> {
    const room = this.#o.room();
    if (room <= 0) return;
    try {
      const claimed = await this.#source.claim(room, Date.now());
      if (!this.#running) {
        await this.release(claimed.map((d) => d.id));
        return;
      }
      if (claimed.length > 0) this.#o.take(claimed);
      // A full claim: more are probably waiting.
      if (claimed.length === room) this.#again = true;
    } catch (err) {
      const now = Date.now();
      if (now - this.#lastErrorLogAt > 1000) {
        this.#lastErrorLogAt = now;
        this.#logger.error({ err }, "claiming deliveries failed; trying again at the next poll");
      }
    }
  }
}
