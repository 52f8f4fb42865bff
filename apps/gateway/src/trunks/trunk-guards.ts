/**
 * The trunk guards as one running part of the gateway (SPEC §3 trunks, §4 `trunk.*`): the toll-fraud
 * guard reading each account's and trunk's stored limits at every admission, with today's minutes
 * rebuilt from the call legs after a restart and, on PostgreSQL, the other gateway nodes' calls
 * read again every `otherNodesRefreshMs` (SPEC §2; @hookline/db cluster-usage.ts states how stale
 * that lets the limits be); and the OPTIONS health monitor, following the trunks the API creates,
 * changes and deletes by reading the trunk directory every `syncMs` (the console may run in
 * another process, so being told is not enough).
 */
import type { TrunkEvent } from "@hookline/callbacks";
import { outboundTrunkMinutesSince, type Database } from "@hookline/db";
import { log as rootLog, type Logger } from "@hookline/log";
import { FraudGuard, type FraudGuardOptions, type OtherNodesUsage } from "./fraud-guard.js";
import { fromStoredLimits } from "./fraud-guard-limits.js";
import { TrunkHealthMonitor, type SendOptions, type TargetState } from "./health.js";
import { createOptionsSender, type OptionsStack } from "./health-options.js";
import type { TrunkDirectory } from "./trunk-directory.js";

/** Ping tuning (health.ts has the defaults); `syncMs`: how often trunk changes are picked up. */
export interface TrunkHealthSettings {
  intervalMs?: number;
  timeoutMs?: number;
  failuresBeforeDown?: number;
  successesBeforeUp?: number;
  /** Default: the ping interval, at most 5 s. */
  syncMs?: number;
}

/** A trunk's health as the API shows it (`GET /v1/trunks/:id`). */
export interface TrunkHealthView {
  state: TargetState;
  targets: Array<{
    host: string;
    port: number;
    transport: "udp" | "tcp" | "tls";
    state: TargetState;
    since: string | null;
    lastError: string | null;
  }>;
}

/** The other nodes' usage, read again by `refresh` (ClusterUsage in @hookline/db cluster-usage.ts). */
export interface RefreshedUsage extends OtherNodesUsage {
  /** Rejects on a failed read, keeping the last figures. */
  refresh(): Promise<void>;
}

/** How often the other nodes' usage is read again by default: the documented staleness bound. */
export const OTHER_NODES_REFRESH_MS = 2_000;

/** Today's outbound minutes of an account (`trunkId` null) or a trunk, answered at once. */
export interface TrunkMinutesReader {
  minutesSince(accountId: string, trunkId: string | null, since: Date): number;
}

export interface TrunkGuardsOptions {
  /**
   * Where the fraud guard reads today's minutes of an account or trunk the first time it sees it.
   * SQLite: the database, read then (`outboundTrunkMinutesSince`, synchronous). PostgreSQL: the
   * guard asks inside `admitOutbound`, synchronously on the INVITE path, so no query can answer;
   * give `minutes` instead, read before the gateway takes calls (`TrunkMinutesSeed.load` in
   * @hookline/db trunk-minutes.ts). `minutes` wins when both are given.
   */
  db?: Database | undefined;
  minutes?: TrunkMinutesReader | undefined;
  /**
   * PostgreSQL, where several gateway nodes share the database: what the others carry, read once
   * before the gateway takes calls and again every `otherNodesRefreshMs` (default 2 s) from
   * `start()` to `stop()`. Absent on SQLite (one node).
   */
  otherNodes?: RefreshedUsage | undefined;
  otherNodesRefreshMs?: number | undefined;
  directory: TrunkDirectory;
  /** The event bus's `publish`, for `trunk.up` and `trunk.down`. */
  publish(event: TrunkEvent): void;
  /** The gateway's SIP stack; asked at the first ping (the gateway is built after the guards). */
  stack(): OptionsStack;
  health?: TrunkHealthSettings | undefined;
  logger?: Logger;
}

const realTimers = {
  setTimer: (ms: number, fn: () => void) => setTimeout(fn, ms),
  clearTimer: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
};

export class TrunkGuards {
  readonly fraud: FraudGuard;
  readonly health: TrunkHealthMonitor;
  readonly #o: TrunkGuardsOptions;
  readonly #log: Logger;
  readonly #syncMs: number;
  /** Trunk id → what the monitor was last given (name and targets), to watch only on a change. */
  readonly #watched = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #usageTimer: NodeJS.Timeout | undefined;
  /** The read in flight, so a slow database gets no second one on top. */
  #refreshing: Promise<void> | undefined;

  constructor(options: TrunkGuardsOptions) {
    this.#o = options;
    this.#log = options.logger ?? rootLog.child({ component: "trunk-guards" });
    const { directory, db, minutes } = options;
    const reader: FraudGuardOptions["minutesSince"] = minutes
      ? (accountId, trunkId, since) => minutes.minutesSince(accountId, trunkId, since)
      : db && ((accountId, trunkId, since) => outboundTrunkMinutesSince(db, accountId, trunkId, since));
    this.fraud = new FraudGuard({
      account: (id) => {
        const a = directory.accountLimits(id);
        return a && { name: a.name, limits: fromStoredLimits(a.limits) };
      },
      trunk: (id) => {
        const t = directory.trunkLimits(id);
        return t && { name: t.name, limits: fromStoredLimits(t.limits) };
      },
      now: () => Date.now(),
      ...(reader && { minutesSince: reader }),
      otherNodes: options.otherNodes,
      logger: this.#log,
    });
    const h = options.health ?? {};
    let send: SendOptions | undefined;
    this.health = new TrunkHealthMonitor({
      sendOptions: (target) => (send ??= createOptionsSender(options.stack()))(target),
      timers: realTimers,
      now: () => Date.now(),
      publish: (e) => options.publish(e),
      ...(h.intervalMs !== undefined && { intervalMs: h.intervalMs }),
      ...(h.timeoutMs !== undefined && { timeoutMs: h.timeoutMs }),
      ...(h.failuresBeforeDown !== undefined && { failuresBeforeDown: h.failuresBeforeDown }),
      ...(h.successesBeforeUp !== undefined && { successesBeforeUp: h.successesBeforeUp }),
      logger: this.#log,
    });
    this.#syncMs = h.syncMs ?? Math.min(h.intervalMs ?? 30_000, 5_000);
  }

  /**
   * Starts pinging every trunk's targets, following the trunk directory, and reading the other
   * nodes' usage again (the first read is the wiring's, before the gateway takes calls).
   */
  start(): void {
    if (this.#timer) return;
    this.sync();
    this.#timer = setInterval(() => this.sync(), this.#syncMs);
    this.#timer.unref();
    if (this.#o.otherNodes) {
      this.#usageTimer = setInterval(
        () => void this.refreshOtherNodes(),
        this.#o.otherNodesRefreshMs ?? OTHER_NODES_REFRESH_MS,
      );
      this.#usageTimer.unref();
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearInterval(this.#usageTimer);
    this.#usageTimer = undefined;
    this.health.stop();
    this.#watched.clear();
  }

  /**
   * Reads the other nodes' usage again (the timer calls it). Never rejects: a failed read keeps
   * the last figures, and is logged; a read still in flight is waited for instead of doubled.
   */
  refreshOtherNodes(): Promise<void> {
    const usage = this.#o.otherNodes;
    if (!usage) return Promise.resolve();
    this.#refreshing ??= usage
      .refresh()
      .catch((err: unknown) => {
        this.#log.warn({ err }, "other nodes' trunk calls not read: the limits use the last figures");
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Brings the monitor in line with the stored trunks: new and changed watched, deleted dropped. */
  sync(): void {
    let rows;
    try {
      rows = this.#o.directory.outboundTargets();
    } catch (err) {
      // The database may be briefly unwritable or busy; the next round tries again.
      this.#log.warn({ err }, "trunks not read for the health monitor");
      return;
    }
    const seen = new Set<string>();
    for (const t of rows) {
      seen.add(t.id);
      const shape = JSON.stringify([t.name, t.outboundTargets]);
      if (this.#watched.get(t.id) === shape) continue;
      this.#watched.set(t.id, shape);
      this.health.watch({ id: t.id, accountId: t.accountId, name: t.name, targets: t.outboundTargets });
    }
    for (const id of [...this.#watched.keys()]) {
      if (seen.has(id)) continue;
      this.#watched.delete(id);
      this.health.unwatch(id);
    }
  }

  /** The API's view; a trunk the monitor has not picked up yet is `unknown`. */
  healthOf(trunkId: string): TrunkHealthView {
    const s = this.health.state(trunkId);
    if (!s) return { state: "unknown", targets: [] };
    return {
      state: s.state,
      targets: s.targets.map((t) => ({
        host: t.target.host,
        port: t.target.port,
        transport: t.target.transport,
        state: t.state,
        since: t.since,
        lastError: t.lastError,
      })),
    };
  }
}
