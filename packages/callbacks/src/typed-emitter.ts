/**
 * An EventEmitter typed by its event map (mediasoup's `EnhancedEventEmitter<Events>`), whose
 * `safeEmit` never lets a throwing listener reach the emitter.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "./logger.js";

export type EventMap = Record<string, unknown[]>;

/** A listener may be async: `safeEmit` logs its rejection as it logs a throw. */
export type Listener<A extends unknown[]> = (...args: A) => unknown;

export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter({ captureRejections: false });
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
    this.#emitter.setMaxListeners(Infinity);
  }

  on<K extends keyof E & string>(name: K, listener: Listener<E[K]>): this {
    this.#emitter.on(name, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(name: K, listener: Listener<E[K]>): this {
    this.#emitter.off(name, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(name: K, listener: Listener<E[K]>): this {
    this.#emitter.once(name, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(name: K): number {
    return this.#emitter.listenerCount(name);
  }

  /** Calls every listener; one that throws (or rejects) is logged and the others still run. */
  safeEmit<K extends keyof E & string>(name: K, ...args: E[K]): boolean {
    const listeners = this.#emitter.rawListeners(name) as ((...a: unknown[]) => unknown)[];
    for (const listener of listeners) {
      try {
        const r = listener.apply(this, args);
        if (r instanceof Promise) {
          r.catch((err: unknown) => this.#logger.error({ err, event: name }, "event listener rejected"));
        }
      } catch (err) {
        this.#logger.error({ err, event: name }, "event listener threw");
      }
    }
    return listeners.length > 0;
  }
}
