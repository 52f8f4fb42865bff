import type { TimerHandle, Timers } from "../timers.js";

/** What a {@link WaitQueue} ends when its wait runs out: a finished transaction. */
export interface Waiting {
  /** The wait ran out; a no-op if it has ended meanwhile (a transport error, a shutdown). */
  expire(): void;
}

/** Timers with a clock: what a {@link WaitQueue} needs to compute when a wait runs out. */
export type ClockedTimers = Timers & { readonly now: number };

/** True when the timers say what time it is (see {@link Timers.now}). */
export function hasClock(timers: Timers): timers is ClockedTimers {
  return typeof timers.now === "number";
}

/** One duration's waits in the order they started, which is the order they run out. */
class Fifo {
  /** Expiry times, ascending; a plain number array (unboxed doubles). */
  dues: number[] = [];
  items: Waiting[] = [];
  head = 0;

  get empty(): boolean {
    return this.head === this.dues.length;
  }

  /** Expiry of the first wait; only when not empty. */
  get first(): number {
    return this.dues[this.head] as number;
  }

  push(due: number, item: Waiting): void {
    this.dues.push(due);
    this.items.push(item);
  }

  shift(): Waiting {
    const item = this.items[this.head] as Waiting;
    this.items[this.head] = DONE;
    this.head++;
    if (this.head === this.dues.length) {
      this.dues = [];
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.dues.length) {
      this.dues = this.dues.slice(this.head);
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const DONE: Waiting = { expire() {} };

/**
 * The wait timers of finished transactions (RFC 3261 §17 Timers D, I, J, K; RFC 6026 Timers L
 * and M): tens of thousands at a high call rate, each only ending its transaction. Rather than a
 * timer and a closure each, a wait is an entry in a queue per duration (a wait started later runs
 * out later: first in, first out) and one timer runs for the earliest of them, set for exactly
 * when it runs out, so a wait ends when its own timer would have.
 */
export class WaitQueue {
  readonly #timers: ClockedTimers;
  readonly #fifos = new Map<number, Fifo>();
  #handle: TimerHandle = undefined;
  /** When the running timer fires (Infinity: none runs). */
  #armedFor = Infinity;
  #sweeping = false;
  #size = 0;

  constructor(timers: ClockedTimers) {
    this.#timers = timers;
  }

  /** Waits not run out yet (an entry whose transaction ended early counts until its time). */
  get size(): number {
    return this.#size;
  }

  /** `item.expire()` in `ms` milliseconds (`ms > 0`). */
  add(ms: number, item: Waiting): void {
    let fifo = this.#fifos.get(ms);
    if (fifo === undefined) {
      fifo = new Fifo();
      this.#fifos.set(ms, fifo);
    }
    const due = this.#timers.now + ms;
    fifo.push(due, item);
    this.#size++;
    if (!this.#sweeping && due < this.#armedFor) this.#arm(due);
  }

  /** Forgets every wait without running it out, and stops the timer (shutdown). */
  clear(): void {
    this.#fifos.clear();
    this.#size = 0;
    this.#disarm();
  }

  #arm(due: number): void {
    this.#disarm();
    this.#armedFor = due;
    this.#handle = this.#timers.setTimer(Math.max(0, due - this.#timers.now), () => this.#sweep());
  }

  #disarm(): void {
    if (this.#handle !== undefined) this.#timers.clearTimer(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Infinity;
  }

  /** Runs out every wait that is due, then sets the timer for the next one. */
  #sweep(): void {
    this.#handle = undefined;
    this.#armedFor = Infinity;
    this.#sweeping = true;
    try {
      const now = this.#timers.now;
      for (const fifo of this.#fifos.values()) {
        while (!fifo.empty && fifo.first <= now) {
          this.#size--;
          fifo.shift().expire();
        }
      }
    } finally {
      // Waits added meanwhile (by a TU reacting to an expiry) are in the fifos already.
      this.#sweeping = false;
      let next = Infinity;
      for (const fifo of this.#fifos.values()) if (!fifo.empty && fifo.first < next) next = fifo.first;
      if (next < Infinity) this.#arm(next);
    }
  }
}
