/**
 * The callback engine: subscribes to the event bus, matches each event against the account's and
 * the call's callbacks, writes matches to the durable outbox (group commit) and delivers them.
 *
 *   const engine = createCallbackEngine({ db, bus, allowlist: process.env.HOOKLINE_CALLBACK_ALLOWLIST });
 *   engine.start(); ... await engine.stop();
 *
 * `bus.publish(event)` is fire-and-forget; `engine.accept(event)` resolves once the event is
 * durable (committed to the outbox) — after that it survives `kill -9` and is delivered at least
 * once, with the same `webhook-id` on every try.
 *
 * `db` is SQLite's (openDatabase, the default) or PostgreSQL's (openPostgres from
 * `@hookline/db/pg`); on PostgreSQL any number of processes may deliver (`deliver: true`), each
 * claiming deliveries with a lease (store/pg-store.ts).
 */
import type { Callback, Database } from "@hookline/db";
import { isPgDatabase, type PgDatabase } from "@hookline/db/pg";
import type { CircuitBreakerOptions } from "./circuit-breaker.js";
import type { AttemptInfo, DispatcherLimits, DispatcherStats } from "./dispatcher.js";
import { Dispatcher } from "./dispatcher.js";
import type { EventBus } from "./event-bus.js";
import type { HooklineEvent } from "./events.js";
import { eventCallId, eventSeq } from "./events.js";
import type { GroupCommitOptions } from "./group-commit.js";
import type { Resolver } from "./http/guarded-connector.js";
import { HttpClient } from "./http/client.js";
import type { Logger } from "./logger.js";
import { callbacksLog } from "./logger.js";
import { Matcher } from "./matcher.js";
import { Outbox } from "./outbox.js";
import { RetryPolicy } from "./retry-policy.js";
import type { Allowlist } from "./ssrf.js";
import { EMPTY_ALLOWLIST, parseAllowlist } from "./ssrf.js";
import type { CallbackStore } from "./store/callback-store.js";
import type { PgStoreOptions } from "./store/pg-store.js";
import { createPgStore } from "./store/pg-store.js";
import { createSqliteStore } from "./store/sqlite-store.js";

export interface CallbackEngineOptions {
  /** SQLite's database, PostgreSQL's, or a store built on one (closed by the engine's stop). */
  db: Database | PgDatabase | CallbackStore;
  /** PostgreSQL: this node's id (`lease_owner`) and how long a claim lasts (default 30 s). */
  postgres?: Omit<PgStoreOptions, "logger">;
  /** When given, every published event is accepted. */
  bus?: EventBus;
  /** Parsed allow-list, or the raw `HOOKLINE_CALLBACK_ALLOWLIST` string. Empty by default. */
  allowlist?: Allowlist | string;
  /** Delay before each attempt, ms; default [0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h]. */
  retrySchedule?: readonly number[];
  /** ± fraction of each retry delay. Default 0.1. */
  retryJitter?: number;
  logger?: Logger;
  http?: {
    connectTimeoutMs?: number;
    headersTimeoutMs?: number;
    /** Whole exchange; default 10 s. */
    totalTimeoutMs?: number;
    maxResponseBytes?: number;
    resolver?: Resolver;
  };
  limits?: DispatcherLimits;
  breaker?: Omit<CircuitBreakerOptions, "now">;
  groupCommit?: GroupCommitOptions;
  pollIntervalMs?: number;
  /** Run the dispatcher in this process (default true). False: accept only (another process delivers). */
  deliver?: boolean;
  onAttempt?: (info: AttemptInfo) => void;
}

export interface AcceptResult {
  /** One delivery (webhook-id) per matching callback; empty when nothing matched. */
  deliveryIds: string[];
}

export interface CallbackEngineStats extends DispatcherStats {
  accepted: number;
  matched: number;
  filterErrors: number;
  commits: number;
  maxCommitMs: number;
}

export interface CallbackEngine {
  start(): void;
  accept(event: HooklineEvent): Promise<AcceptResult>;
  /**
   * Graceful: stops new attempts and waits for in-flight ones up to `deadlineMs` (default 10 s).
   * Once: a second call returns the first one's promise.
   */
  stop(options?: { deadlineMs?: number }): Promise<void>;
  stats(): CallbackEngineStats;
}

export class InvalidEventError extends Error {
  readonly code = "HOOKLINE_INVALID_EVENT";
}

export function createCallbackEngine(options: CallbackEngineOptions): CallbackEngine {
  const logger = options.logger ?? callbacksLog;
  const allowlist = resolveAllowlist(options.allowlist, logger);
  const store = openStore(options, logger);
  const matcher = new Matcher(store.reader, logger);
  const outbox = new Outbox(store);
  const client = new HttpClient({
    allowlist,
    logger,
    ...options.http,
    connectionsPerOrigin: options.limits?.perEndpoint ?? 32,
  });
  const dispatcher = new Dispatcher({
    store,
    client,
    leaseMarginMs: options.http?.totalTimeoutMs ?? 10_000,
    retry: new RetryPolicy({
      ...(options.retrySchedule ? { scheduleMs: options.retrySchedule } : {}),
      ...(options.retryJitter !== undefined ? { jitter: options.retryJitter } : {}),
    }),
    logger,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.breaker ? { breaker: options.breaker } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
  });
  const deliver = options.deliver ?? true;
  let accepted = 0;
  let matched = 0;
  let started = false;
  let stopped: Promise<void> | undefined;

  /** Batches whose reads are loading (asynchronous database): stop() waits for them. */
  const preparing = new Set<Promise<void>>();
  // Events are matched in batches, one per event-loop turn: the matcher then reads each account's
  // change counter once per batch instead of once per event (a call makes about twenty events).
  let queue: Array<{ event: HooklineEvent; done: (r: Promise<AcceptResult>) => void }> = [];
  const matchQueued = () => {
    const batch = queue;
    queue = [];
    const prepared = matcher.prepare(batch.map((b) => b.event));
    if (prepared) {
      // An asynchronous database: what the batch reads is loaded first, in one round trip.
      const matched = prepared.then(
        () => matchBatch(batch),
        (err: unknown) => {
          for (const { done } of batch)
            done(Promise.reject(err instanceof Error ? err : new Error(String(err))));
        },
      );
      preparing.add(matched);
      void matched.finally(() => preparing.delete(matched));
    } else matchBatch(batch);
  };
  const matchBatch = (batch: typeof queue) => {
    matcher.batch(() => {
      for (const { event, done } of batch) {
        // A match that throws (database gone, SQLITE_BUSY) fails its own event, not the batch.
        let delivered: Promise<AcceptResult>;
        try {
          delivered = deliverTo(event, matcher.match(event));
        } catch (err) {
          delivered = Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
        done(delivered);
      }
    });
  };
  const deliverTo = async (event: HooklineEvent, callbacks: Callback[]): Promise<AcceptResult> => {
    accepted++;
    if (callbacks.length === 0) return { deliveryIds: [] };
    matched++;
    const pending = await outbox.write(event, callbacks, Date.now());
    if (deliver && started) {
      if (dispatcher.leased) dispatcher.nudge();
      else dispatcher.enqueue(pending);
    }
    return { deliveryIds: pending.map((p) => p.id) };
  };
  const accept = (event: HooklineEvent): Promise<AcceptResult> => {
    const invalid = checkEvent(event);
    if (invalid) return Promise.reject(new InvalidEventError(invalid));
    return new Promise<AcceptResult>((resolve, reject) => {
      if (queue.length === 0) setImmediate(matchQueued);
      queue.push({
        event,
        done: (r) => {
          r.then(resolve, reject);
        },
      });
    });
  };

  const onEvent = (event: HooklineEvent) => {
    accept(event).catch((err: unknown) => logger.error({ err, type: event.type }, "event not accepted"));
  };

  return {
    start() {
      if (started) return;
      started = true;
      options.bus?.on("event", onEvent);
      if (deliver) dispatcher.start();
    },
    accept,
    stop({ deadlineMs = 10_000 } = {}) {
      stopped ??= (async () => {
        options.bus?.off("event", onEvent);
        if (queue.length > 0) matchQueued();
        await Promise.all([...preparing]);
        await store.flush();
        const drained = deliver ? await dispatcher.stop(deadlineMs) : true;
        await store.flush();
        if (store.waiting > 0) {
          logger.error(
            { items: store.waiting },
            "callback engine stopped with writes the database refused; they are lost",
          );
        }
        started = false;
        if (drained) await client.close();
        else {
          logger.warn({ deadlineMs }, "callback engine stopped with attempts in flight; they stay pending");
          await client.destroy();
        }
        if (store !== options.db) await store.close();
      })();
      return stopped;
    },
    stats: () => ({
      ...dispatcher.stats,
      accepted,
      matched,
      filterErrors: matcher.stats.filterErrors,
      commits: store.commits,
      maxCommitMs: Math.round(store.maxCommitMs),
    }),
  };
}

function openStore(options: CallbackEngineOptions, logger: Logger): CallbackStore {
  const { db } = options;
  if ("reader" in db) return db;
  if (isPgDatabase(db)) {
    const leaseMs = options.postgres?.leaseMs ?? 30_000;
    const totalMs = options.http?.totalTimeoutMs ?? 10_000;
    // A lease shorter than an attempt would let another node send the lane's next seq meanwhile.
    if (leaseMs <= totalMs)
      throw new Error(`postgres.leaseMs (${leaseMs}) must exceed http.totalTimeoutMs (${totalMs})`);
    return createPgStore(db, { ...options.postgres, logger });
  }
  return createSqliteStore(db, logger, options.groupCommit);
}

function resolveAllowlist(spec: Allowlist | string | undefined, logger: Logger): Allowlist {
  if (spec === undefined) return EMPTY_ALLOWLIST;
  let allowlist: Allowlist;
  if (typeof spec === "string") {
    const r = parseAllowlist(spec);
    if (!r.ok) throw new Error(`HOOKLINE_CALLBACK_ALLOWLIST: ${r.error}`);
    allowlist = r.allowlist;
  } else allowlist = spec;
  if (allowlist.entries.length > 0) {
    logger.warn({ allowlist: allowlist.entries }, "callback SSRF allow-list is on");
  }
  return allowlist;
}

function checkEvent(event: HooklineEvent): string | null {
  if (typeof event?.type !== "string" || (event.type as string) === "") return "event has no type";
  if (typeof event.timestamp !== "string") return "event has no timestamp";
  if (typeof event.data?.accountId !== "string") return "event has no data.accountId";
  const callId = eventCallId(event);
  const seq = eventSeq(event);
  if (callId !== null && (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1)) {
    return "a call event needs data.seq, a positive integer assigned by the publisher";
  }
  return null;
}
