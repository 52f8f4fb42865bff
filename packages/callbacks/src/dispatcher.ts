/**
 * Sends pending deliveries. Each lane (callback+call) sends one delivery at a time, in `seq`
 * order, the next only after the previous succeeded or gave up. Lanes compete for bounded
 * concurrency: global, per endpoint (URL origin) and per account, so a slow or failing tenant
 * waits in its own queues and cannot starve others. Each endpoint has a circuit breaker.
 *
 * Where deliveries come from depends on the store: on SQLite this dispatcher owns every pending
 * delivery of the database (loaded at start, then polled); on PostgreSQL it holds only the lane
 * heads it claimed with a lease (claim-loop.ts), and drops each after its attempt: the next head,
 * or the retry, is claimed again by whichever node comes first, so `seq` order holds across nodes.
 */
import type { CircuitBreakerOptions } from "./circuit-breaker.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import type { HttpClient } from "./http/client.js";
import type { Logger } from "./logger.js";
import type { PendingDelivery } from "./pending-delivery.js";
import { compareDeliveries, laneKey } from "./pending-delivery.js";
import type { Lane } from "./lane-scheduler.js";
import { Deque, TimerHeap } from "./lane-scheduler.js";
import type { AttemptOutcome, RetryPolicy } from "./retry-policy.js";
import { sendAttempt } from "./attempt.js";
import type { CallbackInfo, CallbackStore, ClaimedDelivery } from "./store/callback-store.js";
import { ClaimLoop } from "./claim-loop.js";

export interface DispatcherLimits {
  /** Attempts in flight in this process. Default 256. */
  maxConcurrency?: number;
  /** Per URL origin (also undici's connections per origin). Default 32. */
  perEndpoint?: number;
  /** Per account, across its endpoints. Default 64. */
  perAccount?: number;
}

export interface DispatcherOptions {
  store: CallbackStore;
  client: HttpClient;
  retry: RetryPolicy;
  /** Leased deliveries: an attempt starts only while its lease has at least this left (the HTTP total timeout). */
  leaseMarginMs?: number;
  logger: Logger;
  limits?: DispatcherLimits;
  breaker?: Omit<CircuitBreakerOptions, "now">;
  /** How often the outbox is scanned (or claimed from) for deliveries written by other processes or replayed. */
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
  readonly #store: CallbackStore;
  readonly #claims: ClaimLoop | null;
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
    this.#store = options.store;
    this.#max = options.limits?.maxConcurrency ?? 256;
    const source = options.store.deliveries;
    this.#claims =
      source.kind === "leased"
        ? new ClaimLoop(source, options.logger, {
            room: () => this.#max - this.stats.pending,
            take: (claimed) => this.enqueue(claimed),
            pollIntervalMs: options.pollIntervalMs ?? 1000,
          })
        : null;
    this.#perEndpoint = options.limits?.perEndpoint ?? 32;
    this.#perAccount = options.limits?.perAccount ?? 64;
  }

  /**
   * Owned: loads every pending delivery (after a crash: including the ones that were in flight).
   * Leased: starts claiming.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#claims) {
      this.#store.onResultsCommitted = () => this.#claims?.request();
      this.#claims.start();
      return;
    }
    this.enqueue(this.#owned().loadPending());
    this.#lastPollAt = Date.now();
    const interval = this.#o.pollIntervalMs ?? 1000;
    this.#pollTimer = setInterval(() => this.#poll(), interval);
    this.#pollTimer.unref();
  }

  /** Whether deliveries are claimed with leases (PostgreSQL): then `enqueue` is not for accepted events. */
  get leased(): boolean {
    return this.#claims !== null;
  }

  /** Leased: something new may be claimable (this process accepted events). */
  nudge(): void {
    this.#claims?.request();
  }

  /** Stops starting attempts; waits for the ones in flight until `deadlineMs` from now. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.#running = false;
    await this.#claims?.stop();
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    for (const ep of this.#endpoints.values()) if (ep.probeTimer) clearTimeout(ep.probeTimer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((r) => (timer = setTimeout(() => r(false), deadlineMs)));
    const drained = Promise.all([...this.#inFlight]).then(() => true as const);
    const finished = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    await this.#store.flush();
    if (this.#claims) {
      // Claimed and never started: give the leases back instead of letting them run out.
      const unstarted = [...this.#lanes.values()].flatMap((l) => (l.busy ? l.items.slice(1) : l.items));
      await this.#claims.release(unstarted.map((d) => d.id));
    }
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

  #owned() {
    const source = this.#store.deliveries;
    if (source.kind !== "owned") throw new Error("the dispatcher does not own this store's deliveries");
    return source;
  }

  /** Deliveries written by another process, or replayed through the API, since the last poll. */
  #poll(): void {
    if (!this.#running) return;
    // Commit what this process finished first, or a delivery done in memory but not yet on disk
    // would look pending and be sent twice (SQLite's flush is synchronous).
    void this.#store.flush();
    const now = Date.now();
    const source = this.#owned();
    try {
      const since = this.#lastPollAt - 5_000;
      // Ids first: at saturation the window holds thousands of this process's own deliveries, and
      // building full rows for them was ~5% of the CPU. Full rows only when something is new.
      const ids = source.dueIds(since, now);
      this.#lastPollAt = now;
      if (ids.some((id) => !this.#known.has(id))) {
        const fresh = source.due(since, now).filter((r) => !this.#known.has(r.id));
        if (fresh.length > 0) this.enqueue(fresh);
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
      if (this.#claims && !this.#leaseLeft(head as ClaimedDelivery)) {
        // Too little lease left for a whole attempt: another node may take it over mid-attempt
        // and send the next seq first. Let the lease run out; whoever claims it then sends it.
        this.#drop(lane, head);
        continue;
      }
      const cb = this.#callback(head);
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
        // Leased: a retry goes back to the database (its lease cleared with the result) for any node.
        if (done || this.#claims) {
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

  #callback(d: PendingDelivery): CallbackInfo | null {
    if (this.#claims) return (d as ClaimedDelivery).callback;
    return this.#owned().callback(d.callbackId);
  }

  #leaseLeft(d: ClaimedDelivery): boolean {
    return d.leaseUntil - Date.now() >= (this.#o.leaseMarginMs ?? 10_000);
  }

  /** Forgets a leased lane head without an attempt, and gives its lease back for any node to claim. */
  #drop(lane: Lane, head: PendingDelivery): void {
    void this.#claims?.release([head.id]);
    lane.items.shift();
    this.#known.delete(head.id);
    this.stats.pending--;
    this.#schedule(lane);
  }

  /** One HTTP attempt; resolves true when the delivery is finished (succeeded or failed). */
  #attempt(d: PendingDelivery, cb: CallbackInfo): Promise<boolean> {
    const body = d.body ?? (this.#claims ? undefined : this.#owned().eventBody(d.eventId));
    delete d.body;
    if (body === undefined) {
      this.#store.recordFailed(d.id, "event no longer in the outbox");
      this.stats.failed++;
      return Promise.resolve(true);
    }
    return sendAttempt(
      {
        client: this.#o.client,
        retry: this.#o.retry,
        store: this.#store,
        stats: this.stats,
        breaker: (origin) => this.#endpoint(origin).breaker,
        onAttempt: this.#o.onAttempt,
      },
      d,
      cb,
      body,
    );
  }

  #finishWithoutAttempt(lane: Lane, head: PendingDelivery, why: string): void {
    this.#store.recordFailed(head.id, why);
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
