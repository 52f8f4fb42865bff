/**
 * Injected time for sip-core. The protocol code never calls `setTimeout` itself (SPEC §1): the
 * gateway hands it real timers built on its event loop, tests hand it {@link FakeTimers} and move
 * virtual time forward.
 */

/** An opaque handle returned by {@link Timers.setTimer}. */
export type TimerHandle = unknown;

/** The one timer primitive transactions need: a one-shot callback after `ms` milliseconds. */
export interface Timers {
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /**
   * Milliseconds on the clock these timers run by (any origin). When present, the transaction
   * layer keeps the wait timers of finished transactions in one queue under a single timer instead
   * of a timer each; without it, each still gets its own.
   */
  readonly now?: number;
}

/**
 * RFC 3261 §17.1.1.1 and Table 4: T1 (RTT estimate), T2 (maximum retransmit interval for
 * non-INVITE requests and INVITE responses), T4 (maximum time a message stays in the network).
 * `timerD` is the INVITE client's wait in Completed over unreliable transports ("> 32 s", §17.1.1.2).
 */
export interface TimerConfig {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  readonly timerD: number;
}

/** The RFC 3261 defaults: T1 = 500 ms, T2 = 4 s, T4 = 5 s, Timer D = 32 s. */
export const DEFAULT_TIMER_CONFIG: TimerConfig = Object.freeze({
  t1: 500,
  t2: 4000,
  t4: 5000,
  timerD: 32_000,
});

/** Fills the gaps of a partial configuration with {@link DEFAULT_TIMER_CONFIG}. */
export function resolveTimerConfig(config: Partial<TimerConfig> = {}): TimerConfig {
  const resolved = { ...DEFAULT_TIMER_CONFIG, ...config };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`timer ${name} must be a non-negative number`);
  }
  return resolved;
}

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * Virtual time for tests: nothing fires until {@link FakeTimers.advance} moves the clock. Timers
 * fire in due order (ties in creation order), including timers set by callbacks inside the window.
 * A binary heap keeps thousands of transactions cheap; cleared timers are skipped lazily, and
 * dropped at once when they outnumber the live ones, so that a cleared timer's callback (and what
 * it holds) does not outlive it by much: memory benchmarks run on these timers too.
 */
export class FakeTimers implements Timers {
  #now = 0;
  #nextId = 1;
  readonly #live = new Map<number, FakeTimer>();
  #heap: FakeTimer[] = [];

  /** Current virtual time in milliseconds since construction. */
  get now(): number {
    return this.#now;
  }

  /** Number of timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#live.size;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), fn };
    this.#live.set(timer.id, timer);
    this.#push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    if (typeof handle !== "number" || !this.#live.delete(handle)) return;
    if (this.#heap.length > 2 * this.#live.size + 32) {
      // A sorted array is a heap.
      this.#heap = this.#heap
        .filter((t) => this.#live.has(t.id))
        .sort((a, b) => a.due - b.due || a.id - b.id);
    }
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#peek();
      if (next === undefined || next.due > end) break;
      this.#fire(next);
    }
    this.#now = end;
  }

  /** Fires timers until none are left (or `limit` fired, to catch endless re-arming). */
  runAll(limit = 10_000): void {
    for (let fired = 0; fired < limit; fired++) {
      const next = this.#peek();
      if (next === undefined) return;
      this.#fire(next);
    }
    throw new Error(`FakeTimers.runAll: more than ${limit} timers fired`);
  }

  #fire(timer: FakeTimer): void {
    this.#pop();
    this.#live.delete(timer.id);
    this.#now = timer.due;
    timer.fn();
  }

  /** The earliest live timer, dropping cleared ones from the top of the heap. */
  #peek(): FakeTimer | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || this.#live.has(top.id)) return top;
      this.#pop();
    }
  }

  static #before(a: FakeTimer, b: FakeTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.id < b.id);
  }

  #push(timer: FakeTimer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!FakeTimers.#before(heap[i] as FakeTimer, heap[parent] as FakeTimer)) break;
      [heap[i], heap[parent]] = [heap[parent] as FakeTimer, heap[i] as FakeTimer];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < heap.length && FakeTimers.#before(heap[left] as FakeTimer, heap[best] as FakeTimer))
        best = left;
      if (right < heap.length && FakeTimers.#before(heap[right] as FakeTimer, heap[best] as FakeTimer))
        best = right;
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best] as FakeTimer, heap[i] as FakeTimer];
      i = best;
    }
  }
}
