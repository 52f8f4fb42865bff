/**
 * One HTTP attempt of a delivery and what follows from its answer (SPEC §4): success, a retry at
 * the policy's next delay (or `Retry-After`), 410 disabling the callback, or a permanent failure.
 * The outcome is recorded through the store; the endpoint's circuit breaker learns from it.
 */
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { AttemptInfo, DispatcherStats } from "./dispatcher.js";
import type { HttpClient, HttpResult } from "./http/client.js";
import type { PendingDelivery } from "./pending-delivery.js";
import type { AttemptOutcome, RetryPolicy } from "./retry-policy.js";
import { classifyStatus, parseRetryAfter } from "./retry-policy.js";
import { webhookHeaders } from "./signing.js";
import type { CallbackInfo, CallbackStore, DeliveryState } from "./store/callback-store.js";

export interface AttemptContext {
  client: HttpClient;
  retry: RetryPolicy;
  store: CallbackStore;
  stats: DispatcherStats;
  breaker(origin: string): CircuitBreaker;
  onAttempt: ((info: AttemptInfo) => void) | undefined;
}

/** Resolves true when the delivery is finished (succeeded or failed), false when it is retried. */
export async function sendAttempt(
  ctx: AttemptContext,
  d: PendingDelivery,
  cb: CallbackInfo,
  body: string,
): Promise<boolean> {
  const url = cb.url as URL;
  const startedAt = Date.now();
  const headers = webhookHeaders(cb, d.id, body, startedAt);
  const res = await ctx.client.post(url, body, headers);
  const outcome = outcomeOf(res);
  const attempt = d.attemptCount + 1;
  d.attemptCount = attempt;
  ctx.stats.attempts++;
  if (outcome.kind !== "permanent") ctx.breaker(url.origin).record(outcome.kind !== "retryable");

  let final = true;
  let status: DeliveryState = "failed";
  let error = res.error;
  if (outcome.kind === "success") status = "succeeded";
  else if (outcome.kind === "gone") {
    error = "410 Gone: callback disabled";
    ctx.store.disableCallback(d.callbackId, "receiver answered 410 Gone");
  } else if (outcome.kind === "permanent") error = outcome.error;
  else {
    const decision = ctx.retry.next(attempt, outcome.retryAfterMs);
    if (decision.retry) {
      final = false;
      status = "pending";
      d.nextAttemptAt = Date.now() + decision.delayMs;
    } else {
      error =
        `retries exhausted after ${attempt} attempts` +
        (error ? `: ${error}` : res.status ? `: HTTP ${res.status}` : "");
    }
  }
  if (status === "succeeded") ctx.stats.succeeded++;
  if (status === "failed") ctx.stats.failed++;
  ctx.store.recordAttempt(d, attempt, startedAt, res, status, error);
  ctx.onAttempt?.({
    deliveryId: d.id,
    attempt,
    outcome: outcome.kind,
    status: res.status,
    acceptedAt: d.acceptedAt,
    startedAt,
    final,
  });
  return final;
}

function outcomeOf(res: HttpResult): AttemptOutcome {
  if (res.errorCode === "HOOKLINE_SSRF_BLOCKED") return { kind: "permanent", error: res.error ?? "refused" };
  if (res.status === null) return { kind: "retryable", retryAfterMs: null };
  return classifyStatus(res.status, parseRetryAfter(res.headers["retry-after"], Date.now()));
}
