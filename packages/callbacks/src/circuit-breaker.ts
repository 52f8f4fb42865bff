/**
 * A per-endpoint circuit breaker. Closed: outcomes are counted in a sliding time window; when at
 * least `minRequests` happened and the failure rate reaches `failureRate`, it opens. Open: nothing
 * is sent until `openMs` passed; then half-open: one probe is let through; its success closes the
 * breaker, its failure opens it again.
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  windowMs?: number;
  minRequests?: number;
  failureRate?: number;
  openMs?: number;
  now?: () => number;
}

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #openedAt = 0;
  #probeInFlight = false;
  #outcomes: { at: number; ok: boolean }[] = [];
  #head = 0;
  #failures = 0;
  readonly #windowMs: number;
  readonly #minRequests: number;
  readonly #failureRate: number;
  readonly #openMs: number;
  readonly #now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#minRequests = options.minRequests ?? 20;
    this.#failureRate = options.failureRate ?? 0.5;
    this.#openMs = options.openMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.#openMs) this.#state = "half-open";
    return this.#state;
  }

  /** When an open breaker lets a probe through (epoch ms), or 0 when not open. */
  get reopensAt(): number {
    return this.state === "open" ? this.#openedAt + this.#openMs : 0;
  }

  /** Whether a request may start now; in half-open, true once (the probe). */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open" || this.#probeInFlight) return false;
    this.#probeInFlight = true;
    return true;
  }

  record(ok: boolean): void {
    const now = this.#now();
    if (this.#state === "half-open" || this.#probeInFlight) {
      this.#probeInFlight = false;
      if (ok) {
        this.#state = "closed";
        this.#reset();
      } else {
        this.#open(now);
      }
      return;
    }
    if (this.#state !== "closed") return;
    this.#outcomes.push({ at: now, ok });
    if (!ok) this.#failures++;
    for (
      let o = this.#outcomes[this.#head];
      o && o.at < now - this.#windowMs;
      o = this.#outcomes[this.#head]
    ) {
      if (!o.ok) this.#failures--;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#outcomes.length) {
      this.#outcomes = this.#outcomes.slice(this.#head);
      this.#head = 0;
    }
    const n = this.#outcomes.length - this.#head;
    if (n >= this.#minRequests && this.#failures / n >= this.#failureRate) this.#open(now);
  }

  #open(now: number): void {
    this.#state = "open";
    this.#openedAt = now;
    this.#reset();
  }

  #reset(): void {
    this.#outcomes = [];
    this.#head = 0;
    this.#failures = 0;
  }
}
