/**
 * Sends pending deliveries. Each lane (callback+call) sends one delivery at a time, in `seq`
 * order, the next only after the previous succeeded or gave up. Lanes compete for bounded
 * concurrency: global, per endpoint (URL origin) and per account, so a slow or failing tenant
 * waits in its own queues and cannot starve others. Each endpoint has a circuit breaker.
 */
import { and, eq, gt, lte } from "@hookline/db";
import type { Database, Schema } from "@hookline/db";
import type { CircuitBreakerOptions } from "./circuit-breaker.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import type { HttpClient, HttpResult } from "./http/client.js";
import type { Logger } from "./logger.js";
import type { PendingDelivery } from "./pending-delivery.js";
import { compareDeliveries, laneKey } from "./pending-delivery.js";
import type { Lane } from "./lane-scheduler.js";
import { Deque, TimerHeap } from "./lane-scheduler.js";
import type { GroupCommit } from "./group-commit.js";
import type { AttemptOutcome, RetryPolicy } from "./retry-policy.js";
import { classifyStatus, parseRetryAfter } from "./retry-policy.js";
import { webhookHeaders } from "./signing.js";
import type { CallbackInfo } from "./delivery-log.js";
import { DeliveryLog } from "./delivery-log.js";
import { tables } from "./tables.js";

export interface DispatcherLimits {
  /** Attempts in flight in this process. Default 256. */
  maxConcurrency?: number;
  /** Per URL origin (also undici's connections per origin). Default 32. */
  perEndpoint?: number;
  /** Per account, across its endpoints. Default 64. */
  perAccount?: number;
}

export interface DispatcherOptions {
  db: Database;
  client: HttpClient;
  retry: RetryPolicy;
  group: GroupCommit;
  logger: Logger;
  limits?: DispatcherLimits;
  breaker?: Omit<CircuitBreakerOptions, "now">;
  /** How often the outbox is scanned for deliveries written by other processes or replayed. */
  pollIntervalMs?: number;
  /** Called after each attempt (tests and the benchmark observe with it). */
  onAttempt?: (info: AttemptInfo) => void;
}

export interface AttemptInfo {
  deliveryId: string;
  attempt: number;
  outcome: AttemptOutcome["kind"];
  status: number | null;
  acceptedAt: number;
  startedAt: number;
  final: boolean;
}

export interface DispatcherStats {
  attempts: number;
  succeeded: number;
  failed: number;
  inFlight: number;
  pending: number;
}

interface Slot {
  inFlight: number;
  waiting: Deque<Lane>;
}

interface Endpoint extends Slot {
  breaker: CircuitBreaker;
  probeTimer: NodeJS.Timeout | null;
}

export class Dispatcher {
  readonly stats: DispatcherStats = { attempts: 0, succeeded: 0, failed: 0, inFlight: 0, pending: 0 };
  readonly #o: DispatcherOptions;
  readonly #t;
  readonly #log: DeliveryLog;
  readonly #lanes = new Map<string, Lane>();
  readonly #known = new Set<string>();
  readonly #ready = new Deque<Lane>();
  readonly #timers = new TimerHeap();
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #accounts = new Map<string, Slot>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #max: number;
  readonly #perEndpoint: number;
  readonly #perAccount: number;
  #wakeTimer: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #pollTimer: NodeJS.Timeout | null = null;
  #lastPollAt = 0;
  #running = false;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#t = tables(options.db);
    this.#log = new DeliveryLog(options.db, options.group, options.logger);
    this.#max = options.limits?.maxConcurrency ?? 256;
    this.#perEndpoint = options.limits?.perEndpoint ?? 32;
    this.#perAccount = options.limits?.perAccount ?? 64;
  }

  /** Loads every pending delivery (after a crash: including the ones that were in flight). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { deliveries } = this.#t;
    const rows = this.#o.db.select().from(deliveries).where(eq(deliveries.status, "pending")).all();
    this.enqueue(rows.map((r) => this.#fromRow(r)));
    this.#lastPollAt = Date.now();
    const interval = this.#o.pollIntervalMs ?? 1000;
    this.#pollTimer = setInterval(() => this.#poll(), interval);
    this.#pollTimer.unref();
  }

  /** Stops starting attempts; waits for the ones in flight until `deadlineMs` from now. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.#running = false;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    for (const ep of this.#endpoints.values()) if (ep.probeTimer) clearTimeout(ep.probeTimer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((r) => (timer = setTimeout(() => r(false), deadlineMs)));
    const drained = Promise.all([...this.#inFlight]).then(() => true as const);
    const finished = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    this.#o.group.flush();
    return finished;
  }

  enqueue(items: readonly PendingDelivery[]): void {
    const touched = new Set<Lane>();
    for (const item of items) {
      if (this.#known.has(item.id)) continue;
      this.#known.add(item.id);
      this.stats.pending++;
      const key = laneKey(item);
      let lane = this.#lanes.get(key);
      if (!lane) {
        lane = { key, items: [], busy: false, token: 0 };
        this.#lanes.set(key, lane);
      }
      const last = lane.items[lane.items.length - 1];
      lane.items.push(item);
      if (last && compareDeliveries(last, item) > 0) {
        // Keep the head where it is when it is being sent; sort the rest.
        const [head, ...rest] = lane.items;
        lane.items =
          lane.busy && head ? [head, ...rest.sort(compareDeliveries)] : lane.items.sort(compareDeliveries);
      }
      touched.add(lane);
    }
    for (const lane of touched) if (!lane.busy) this.#schedule(lane);
    this.#pump();
  }

  #fromRow(r: Schema["deliveries"]["$inferSelect"]): PendingDelivery {
    return {
      id: r.id,
      eventId: r.eventId,
      callbackId: r.callbackId,
      accountId: r.accountId,
      callId: r.callId,
      seq: r.seq,
      attemptCount: r.attemptCount,
      nextAttemptAt: r.nextAttemptAt ?? r.createdAt,
      createdAt: r.createdAt,
      acceptedAt: r.createdAt,
    };
  }

  /** Deliveries written by another process, or replayed through the API, since the last poll. */
  #poll(): void {
    if (!this.#running) return;
    // Commit what this process finished first, or a delivery done in memory but not yet on disk
    // would look pending and be sent twice.
    this.#o.group.flush();
    const now = Date.now();
    const { deliveries } = this.#t;
    try {
      const due = and(
        eq(deliveries.status, "pending"),
        gt(deliveries.nextAttemptAt, this.#lastPollAt - 5_000),
        lte(deliveries.nextAttemptAt, now),
      );
      // Ids first: at saturation the window holds thousands of this process's own deliveries, and
      // building full rows for them was ~5% of the CPU. Full rows only when something is new.
      const ids = this.#o.db.select({ id: deliveries.id }).from(deliveries).where(due).all();
      this.#lastPollAt = now;
      if (ids.some((r) => !this.#known.has(r.id))) {
        const rows = this.#o.db.select().from(deliveries).where(due).all();
        const fresh = rows.filter((r) => !this.#known.has(r.id));
        if (fresh.length > 0) this.enqueue(fresh.map((r) => this.#fromRow(r)));
      }
    } catch (err) {
      this.#o.logger.error({ err }, "outbox poll failed");
    }
  }

  /** Puts an idle lane's head where it belongs: due now → ready, later → timer heap. */
  #schedule(lane: Lane): void {
    const head = lane.items[0];
    if (!head) {
      this.#lanes.delete(lane.key);
      return;
    }
    lane.token++;
    const now = Date.now();
    if (head.nextAttemptAt <= now) {
      this.#ready.push(lane);
    } else {
      this.#timers.push(head.nextAttemptAt, lane);
      this.#armWake(head.nextAttemptAt);
    }
  }

  #armWake(at: number): void {
    if (!this.#running || at >= this.#wakeAt) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeTimer = null;
        this.#wakeAt = Infinity;
        for (const lane of this.#timers.popDue(Date.now())) this.#ready.push(lane);
        const next = this.#timers.peekAt();
        if (next !== undefined) this.#armWake(next);
        this.#pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  #pump(): void {
    while (this.#running && this.stats.inFlight < this.#max) {
      const lane = this.#ready.shift();
      if (!lane) return;
      const head = lane.items[0];
      // A stale copy of a lane whose head was since rescheduled: the timer heap owns it now.
      if (lane.busy || !head || head.nextAttemptAt > Date.now()) continue;
      const cb = this.#log.callback(head.callbackId);
      if (!cb || !cb.enabled || !cb.url) {
        const why = !cb ? "callback deleted" : !cb.url ? "callback url is invalid" : "callback disabled";
        this.#finishWithoutAttempt(lane, head, why);
        continue;
      }
      const ep = this.#endpoint(cb.url.origin);
      const acct = this.#account(head.accountId);
      if (ep.inFlight >= this.#perEndpoint) {
        ep.waiting.push(lane);
        continue;
      }
      if (acct.inFlight >= this.#perAccount) {
        acct.waiting.push(lane);
        continue;
      }
      if (!ep.breaker.tryAcquire()) {
        ep.waiting.push(lane);
        this.#armProbe(ep);
        continue;
      }
      this.#start(lane, head, cb, ep, acct);
    }
  }

  #armProbe(ep: Endpoint): void {
    if (ep.probeTimer || !this.#running) return;
    ep.probeTimer = setTimeout(
      () => {
        ep.probeTimer = null;
        this.#release(ep, 1);
        this.#pump();
      },
      Math.max(0, ep.breaker.reopensAt - Date.now()),
    );
  }

  #release(slot: Slot, n: number): void {
    for (let i = 0; i < n; i++) {
      const lane = slot.waiting.shift();
      if (!lane) return;
      this.#ready.push(lane);
    }
  }

  #start(lane: Lane, head: PendingDelivery, cb: CallbackInfo, ep: Endpoint, acct: Slot): void {
    lane.busy = true;
    ep.inFlight++;
    acct.inFlight++;
    this.stats.inFlight++;
    const p = this.#attempt(head, cb)
      .catch((err: unknown) => {
        this.#o.logger.error({ err, deliveryId: head.id }, "delivery attempt crashed; retrying later");
        head.nextAttemptAt = Date.now() + 1000;
        return false;
      })
      .then((done) => {
        ep.inFlight--;
        acct.inFlight--;
        this.stats.inFlight--;
        lane.busy = false;
        if (done) {
          lane.items.shift();
          this.#known.delete(head.id);
          this.stats.pending--;
        }
        this.#schedule(lane);
        this.#release(ep, ep.breaker.state === "closed" ? this.#perEndpoint - ep.inFlight : 0);
        this.#release(acct, this.#perAccount - acct.inFlight);
        if (ep.breaker.state !== "closed" && ep.waiting.length > 0) this.#armProbe(ep);
        this.#pump();
      });
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** One HTTP attempt; resolves true when the delivery is finished (succeeded or failed). */
  async #attempt(d: PendingDelivery, cb: CallbackInfo): Promise<boolean> {
    const body = d.body ?? this.#log.eventBody(d.eventId);
    delete d.body;
    if (body === undefined) {
      this.#log.recordFailed(d.id, "event no longer in the outbox");
      this.stats.failed++;
      return true;
    }
    const startedAt = Date.now();
    const headers = webhookHeaders(cb, d.id, body, startedAt);
    const res = await this.#o.client.post(cb.url as URL, body, headers);
    const outcome = this.#outcome(res);
    const attempt = d.attemptCount + 1;
    d.attemptCount = attempt;
    this.stats.attempts++;
    if (outcome.kind !== "permanent")
      this.#endpoint((cb.url as URL).origin).breaker.record(outcome.kind !== "retryable");

    let final = true;
    let status: "pending" | "succeeded" | "failed" = "failed";
    let error = res.error;
    if (outcome.kind === "success") status = "succeeded";
    else if (outcome.kind === "gone") {
      error = "410 Gone: callback disabled";
      this.#log.disableCallback(d.callbackId, "receiver answered 410 Gone");
    } else if (outcome.kind === "permanent") error = outcome.error;
    else {
      const decision = this.#o.retry.next(attempt, outcome.retryAfterMs);
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
    if (status === "succeeded") this.stats.succeeded++;
    if (status === "failed") this.stats.failed++;
    this.#log.recordAttempt(d, attempt, startedAt, res, status, error);
    this.#o.onAttempt?.({
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

  #outcome(res: HttpResult): AttemptOutcome {
    if (res.errorCode === "HOOKLINE_SSRF_BLOCKED")
      return { kind: "permanent", error: res.error ?? "refused" };
    if (res.status === null) return { kind: "retryable", retryAfterMs: null };
    return classifyStatus(res.status, parseRetryAfter(res.headers["retry-after"], Date.now()));
  }

  #finishWithoutAttempt(lane: Lane, head: PendingDelivery, why: string): void {
    this.#log.recordFailed(head.id, why);
    this.stats.failed++;
    lane.items.shift();
    this.#known.delete(head.id);
    this.stats.pending--;
    this.#schedule(lane);
  }

  #endpoint(origin: string): Endpoint {
    let ep = this.#endpoints.get(origin);
    if (!ep) {
      ep = {
        inFlight: 0,
        waiting: new Deque(),
        breaker: new CircuitBreaker(this.#o.breaker),
        probeTimer: null,
      };
      this.#endpoints.set(origin, ep);
    }
    return ep;
  }

  #account(id: string): Slot {
    let a = this.#accounts.get(id);
    if (!a) {
      a = { inFlight: 0, waiting: new Deque() };
      this.#accounts.set(id, a);
    }
    return a;
  }

  /** For tests: ids currently known to be pending. */
  knownIds(): string[] {
    return [...this.#known];
  }
}
