/**
 * Throttling of failed authentication (SPEC §6): after `maxFailures` failures of one key (a
 * source and user pair, a source, a user) within `windowMs`, that key is refused for `blockMs`.
 * Other keys are unaffected. Memory is bounded: past `maxKeys` the least recently touched key is
 * forgotten (an attacker rotating keys can only make us forget, never grow).
 */

export interface FailureThrottleOptions {
  /** Failures within the window that trigger a block. Default 10. */
  readonly maxFailures?: number;
  /** Sliding window for counting failures. Default 5 minutes. */
  readonly windowMs?: number;
  /** How long a key stays blocked. Default 5 minutes. */
  readonly blockMs?: number;
  /** Bound on remembered keys. Default 50 000. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface KeyState {
  /** Times of the recent failures, oldest first; never longer than maxFailures. */
  failures: number[];
  blockedUntil: number;
}

export class FailureThrottle {
  readonly #max: number;
  readonly #window: number;
  readonly #block: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, KeyState>();

  constructor(options: FailureThrottleOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#window = options.windowMs ?? 300_000;
    this.#block = options.blockMs ?? 300_000;
    this.#maxKeys = options.maxKeys ?? 50_000;
    this.#now = options.now ?? Date.now;
    if (this.#max < 1 || this.#maxKeys < 1) throw new RangeError("maxFailures and maxKeys must be ≥ 1");
  }

  /** Keys currently remembered (bounded by `maxKeys`). */
  get size(): number {
    return this.#keys.size;
  }

  /** Whether `key` is blocked now. */
  isBlocked(key: string): boolean {
    const state = this.#keys.get(key);
    if (state === undefined) return false;
    const now = this.#now();
    if (state.blockedUntil > now) return true;
    if (state.blockedUntil !== 0 || this.#latest(state) <= now - this.#window) this.#keys.delete(key);
    return false;
  }

  /** Failures of `key` inside the window now (0 for a key never seen, forgotten, or blocked). */
  recentFailures(key: string): number {
    const state = this.#keys.get(key);
    if (state === undefined || state.blockedUntil > this.#now()) return 0;
    const since = this.#now() - this.#window;
    return state.failures.filter((t) => t > since).length;
  }

  /** Counts one failure of `key`; returns true when this failure started a block. */
  fail(key: string): boolean {
    const now = this.#now();
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { failures: [], blockedUntil: 0 };
    } else {
      this.#keys.delete(key); // re-inserted below: Map order = least recently touched first
    }
    if (this.#keys.size >= this.#maxKeys) {
      const oldest = this.#keys.keys().next();
      if (oldest.done !== true) this.#keys.delete(oldest.value);
    }
    this.#keys.set(key, state);
    if (state.blockedUntil > now) return false;
    state.blockedUntil = 0;
    const recent = state.failures.filter((t) => t > now - this.#window);
    recent.push(now);
    if (recent.length >= this.#max) {
      state.failures = [];
      state.blockedUntil = now + this.#block;
      return true;
    }
    state.failures = recent;
    return false;
  }

  /** Forgets the failures of `key` (after a success), unless it is blocked. */
  succeed(key: string): void {
    const state = this.#keys.get(key);
    if (state !== undefined && state.blockedUntil <= this.#now()) this.#keys.delete(key);
  }

  #latest(state: KeyState): number {
    return state.failures[state.failures.length - 1] ?? 0;
  }
}
