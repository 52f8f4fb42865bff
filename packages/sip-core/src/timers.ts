/**
 * Injected time for sip-core. The protocol code never calls `setTimeout` itself (issue 3): the
 * gateway hands it real timers built on its event loop, tests hand it {@link FakeTimers} and move
 * virtual time forward.
 */

/** An opaque handle returned by {@link Timers.setTimer}. */
export type TimerHandle = unknown;

/** The one timer primitive transactions need: a one-shot callback after `ms` milliseconds. */
export interface Timers {
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
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
 */
export class FakeTimers implements Timers {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  /** Current virtual time in milliseconds since construction. */
  get now(): number {
    return this.#now;
  }

  /** Number of timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.due > end) break;
      this.#timers.delete(next.id);
      this.#now = next.due;
      next.fn();
    }
    this.#now = end;
  }

  /** Fires timers until none are left (or `limit` fired, to catch endless re-arming). */
  runAll(limit = 10_000): void {
    for (let fired = 0; fired < limit; fired++) {
      const next = this.#earliest();
      if (next === undefined) return;
      this.#timers.delete(next.id);
      this.#now = next.due;
      next.fn();
    }
    throw new Error(`FakeTimers.runAll: more than ${limit} timers fired`);
  }

  #earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) {
        best = timer;
      }
    }
    return best;
  }
}
