/**
 * A typed event emitter whose listeners cannot break it: a listener that throws is reported as a
 * process warning and the remaining listeners still run (mediasoup's `safeEmit`). The event map is a
 * type parameter, so `on("response.received", (r) => ...)` is checked.
 */
export type EventMap<E> = { [K in keyof E]: unknown[] };

type Listener<A extends unknown[]> = (...args: A) => void;
type AnyListener = (...args: unknown[]) => void;

const NONE: readonly unknown[] = [];

export class Emitter<E extends EventMap<E>> {
  /**
   * `[event, listener, event, listener, ...]`, replaced on every change, never mutated: a
   * transaction has a handful of listeners and spends most of its life waiting on a timer, so one
   * exact-size array costs a fraction of a Map of arrays; an emit runs over the array it started
   * with, so listeners added or removed meanwhile take effect from the next emit.
   */
  #listeners: readonly unknown[] = NONE;

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.#listeners = this.#listeners.concat([event, listener]); // exact size
    return this;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === event && list[i + 1] === listener) {
        this.#listeners = list.length === 2 ? NONE : list.slice(0, i).concat(list.slice(i + 2));
        break;
      }
    }
    return this;
  }

  /** Drops every listener (called once a transaction is terminated, so nothing is retained). */
  protected removeAllListeners(): void {
    this.#listeners = NONE;
  }

  /** Drops the listeners of events that can no longer happen, so they retain nothing of the TU. */
  protected removeListeners(...events: (keyof E)[]): void {
    const list = this.#listeners;
    const kept: unknown[] = [];
    for (let i = 0; i < list.length; i += 2) {
      if (!events.includes(list[i] as keyof E)) kept.push(list[i], list[i + 1]);
    }
    if (kept.length < list.length) this.#listeners = kept.length === 0 ? NONE : kept.slice();
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.#listeners;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== event) continue;
      try {
        (list[i + 1] as AnyListener)(...args);
      } catch (error) {
        process.emitWarning(`listener for ${String(event)} threw: ${String(error)}`, "SipListenerWarning");
      }
    }
  }
}
