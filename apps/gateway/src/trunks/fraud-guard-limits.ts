/**
 * The pieces of the toll-fraud guard that know no calls: the limits' shape, destination prefix
 * rules, the calls-per-second token bucket, and the UTC day the daily minutes belong to.
 */

/**
 * Limits of one account or one trunk. An absent field is no limit; `0` is a real limit (no calls,
 * no minutes). An empty `allowPrefixes` is no allow-list (every destination not denied passes).
 */
export interface FraudLimits {
  allowPrefixes?: string[];
  denyPrefixes?: string[];
  maxConcurrent?: number;
  maxCallsPerSecond?: number;
  dailyMinutes?: number;
}

/** The trunk's stored `fraudLimits` column (null: no limit). */
export interface StoredFraudLimits {
  allowedPrefixes: string[];
  deniedPrefixes: string[];
  maxConcurrentCalls: number | null;
  callsPerSecond: number | null;
  dailyOutboundMinutes: number | null;
}

/** Maps the stored shape onto the guard's, for the wiring. */
export function fromStoredLimits(stored: StoredFraudLimits): FraudLimits {
  const out: FraudLimits = {};
  if (stored.allowedPrefixes.length > 0) out.allowPrefixes = stored.allowedPrefixes;
  if (stored.deniedPrefixes.length > 0) out.denyPrefixes = stored.deniedPrefixes;
  if (stored.maxConcurrentCalls !== null) out.maxConcurrent = stored.maxConcurrentCalls;
  if (stored.callsPerSecond !== null) out.maxCallsPerSecond = stored.callsPerSecond;
  if (stored.dailyOutboundMinutes !== null) out.dailyMinutes = stored.dailyOutboundMinutes;
  return out;
}

/**
 * Destinations reach the guard in E.164 after the trunk's number rules; a prefix may be written
 * with or without `+` and with visual separators (`+44 20`, `1-900`): both sides drop them.
 */
export function normalizeNumber(s: string): string {
  return s.replace(/^\+/, "").replace(/[\s\-.()]/g, "");
}

/** The first prefix (as written) that `destination` starts with, if any. */
export function matchingPrefix(
  destination: string,
  prefixes: readonly string[] | undefined,
): string | undefined {
  if (!prefixes) return undefined;
  const d = normalizeNumber(destination);
  return prefixes.find((p) => d.startsWith(normalizeNumber(p)));
}

export type PrefixVerdict = { ok: true } | { ok: false; kind: "denied" | "not-allowed"; prefix?: string };

/** The deny-list wins over the allow-list; an absent or empty allow-list allows everything. */
export function checkPrefixes(destination: string, limits: FraudLimits): PrefixVerdict {
  const denied = matchingPrefix(destination, limits.denyPrefixes);
  if (denied !== undefined) return { ok: false, kind: "denied", prefix: denied };
  const allow = limits.allowPrefixes;
  if (allow && allow.length > 0 && matchingPrefix(destination, allow) === undefined) {
    return { ok: false, kind: "not-allowed" };
  }
  return { ok: true };
}

/**
 * Calls per second as a token bucket on injected time: `rate` tokens a second, holding at most
 * `max(1, rate)` (so a burst of `rate` calls in one instant passes, the next waits). A new bucket
 * starts full.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;
  #rate: number;

  constructor(rate: number, now: number) {
    this.#rate = rate;
    this.#tokens = TokenBucket.#capacity(rate);
    this.#at = now;
  }

  static #capacity(rate: number): number {
    return Math.max(1, rate);
  }

  /** Refills up to `now`; a changed rate takes effect from here on. */
  #refill(rate: number, now: number): void {
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#tokens = Math.min(TokenBucket.#capacity(rate), this.#tokens + elapsed * this.#rate);
    this.#rate = rate;
    this.#at = Math.max(this.#at, now);
  }

  /** Whether a token is there now; 0 when so, else whole seconds until one is (at least 1). */
  waitSec(rate: number, now: number): number {
    this.#refill(rate, now);
    if (rate <= 0) return 1;
    // A tiny epsilon keeps float dust (0.9999999) from refusing a call that is due.
    if (this.#tokens >= 1 - 1e-9) return 0;
    return Math.max(1, Math.ceil((1 - this.#tokens) / rate));
  }

  take(): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
  }
}

/** `2026-12-05` for a time in ms, in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC midnight that starts `ms`'s day. */
export function utcMidnight(ms: number): Date {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}
