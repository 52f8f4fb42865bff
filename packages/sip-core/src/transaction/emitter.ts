/**
 * A typed event emitter whose listeners cannot break it: a listener that throws is reported as a
 * process warning and the remaining listeners still run (mediasoup's `safeEmit`). The event map is a
 * type parameter, so `on("response.received", (r) => ...)` is checked.
 */
export type EventMap<E> = { [K in keyof E]: unknown[] };

type Listener<A extends unknown[]> = (...args: A) => void;
type AnyListener = (...args: unknown[]) => void;

export class Emitter<E extends EventMap<E>> {
  readonly #listeners = new Map<keyof E, AnyListener[]>();

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as unknown as AnyListener);
    this.#listeners.set(event, list);
    return this;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event);
    if (list !== undefined) {
      const index = list.indexOf(listener as unknown as AnyListener);
      if (index >= 0) list.splice(index, 1);
    }
    return this;
  }

  /** Drops every listener (called once a transaction is terminated, so nothing is retained). */
  protected removeAllListeners(): void {
    this.#listeners.clear();
  }

  /** Drops the listeners of events that can no longer happen, so they retain nothing of the TU. */
  protected removeListeners(...events: (keyof E)[]): void {
    for (const event of events) this.#listeners.delete(event);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    for (const listener of [...list]) {
      try {
        listener(...args);
      } catch (error) {
        process.emitWarning(`listener for ${String(event)} threw: ${String(error)}`, "SipListenerWarning");
      }
    }
  }
}
