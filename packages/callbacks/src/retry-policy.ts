/**
 * When to try a delivery again. `schedule[i]` is the delay before attempt i+1 (attempt 1 at
 * `schedule[0]`, normally 0); after the last entry the delivery is failed (dead letter).
 * Delays get ±`jitter` (fraction) so retries of many deliveries do not synchronise.
 * `Retry-After` on 429/503 replaces the scheduled delay (capped at `maxRetryAfterMs`).
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export interface RetryPolicyOptions {
  scheduleMs?: readonly number[];
  jitter?: number;
  maxRetryAfterMs?: number;
  random?: () => number;
}

export type AttemptOutcome =
  | { kind: "success" }
  /** 410 Gone: the receiver asks us to stop; the callback is disabled. */
  | { kind: "gone" }
  /** Not worth retrying (refused by SSRF rules, callback deleted). */
  | { kind: "permanent"; error: string }
  | { kind: "retryable"; retryAfterMs: number | null };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

export class RetryPolicy {
  readonly schedule: readonly number[];
  readonly #jitter: number;
  readonly #maxRetryAfterMs: number;
  readonly #random: () => number;

  constructor(options: RetryPolicyOptions = {}) {
    this.schedule = options.scheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
    if (this.schedule.length === 0) throw new Error("retry schedule must have at least one entry");
    this.#jitter = options.jitter ?? 0.1;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 3_600_000;
    this.#random = options.random ?? Math.random;
  }

  get maxAttempts(): number {
    return this.schedule.length;
  }

  /** After `attemptsMade` failed attempts (the last one retryable), when to try again, if at all. */
  next(attemptsMade: number, retryAfterMs: number | null): RetryDecision {
    const base = this.schedule[attemptsMade];
    if (base === undefined) return { retry: false };
    if (retryAfterMs !== null)
      return { retry: true, delayMs: Math.min(Math.max(0, retryAfterMs), this.#maxRetryAfterMs) };
    const factor = 1 + this.#jitter * (2 * this.#random() - 1);
    return { retry: true, delayMs: Math.max(0, Math.round(base * factor)) };
  }
}

/** `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `nowMs`. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export function classifyStatus(status: number, retryAfterMs: number | null): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: "success" };
  if (status === 410) return { kind: "gone" };
  return { kind: "retryable", retryAfterMs: status === 429 || status === 503 ? retryAfterMs : null };
}
