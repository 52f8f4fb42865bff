/**
 * Health of each outbound target of a trunk, from OPTIONS pings (RFC 3261 §11), on injected time.
 *
 * Each target is pinged every `intervalMs`; a ping with no final answer within `timeoutMs` is a
 * failure. `failuresBeforeDown` failures in a row take a target down (`trunk.down`, SPEC §4);
 * once down, `successesBeforeUp` good answers in a row bring it back (`trunk.up`).
 *
 * What counts as alive: ANY final response except 503. A reply proves a SIP server is listening
 * at the target, and carriers often answer OPTIONS from a peer with 403, 404 or 405 while taking
 * its INVITEs fine; 503 means the server itself says it is out of service (RFC 3261 §21.5.4), the
 * same answer the outbound path fails over on. (Kamailio's dispatcher, by contrast, accepts only
 * 2xx unless `ds_ping_reply_codes` widens it; `isAlive` makes ours configurable the same way.)
 *
 * A target starts `unknown`, which calls treat as up (a new trunk is usable before its first
 * ping returns). unknown → up is silent; unknown → down and up → down send `trunk.down`, and
 * down → up sends `trunk.up`, so events mean "something callers notice changed".
 */
import type { TrunkEvent } from "@hookline/callbacks";
import { log as rootLog, type Logger } from "@hookline/log";
import type { TimerHandle, Timers } from "@hookline/sip-core";
import type { TrunkHealth, TrunkTarget } from "./ports.js";

/** How one OPTIONS ping ended, as the sender reports it. */
export type PingOutcome =
  | { kind: "response"; status: number; reason?: string }
  | { kind: "timeout" }
  | { kind: "error"; error: string }
  /** The target cannot be pinged (no such transport here): neither success nor failure. */
  | { kind: "skipped"; why: string };

/** Sends one out-of-dialog OPTIONS to a target; resolves with its final response (never rejects). */
export type SendOptions = (target: TrunkTarget) => Promise<PingOutcome>;

export type TargetState = "unknown" | "up" | "down";

export interface TargetHealth {
  target: TrunkTarget;
  state: TargetState;
  /** ISO time the target entered `state`; null while unknown. */
  since: string | null;
  /** The last failed ping's outcome (`timeout`, `503 Service Unavailable`, a transport error). */
  lastError: string | null;
  /** The status of the last reply, whatever it was. */
  lastStatus: number | null;
  lastPingAt: string | null;
}

/** A trunk's health as the API and the console show it (`state(trunkId)`). */
export interface TrunkHealthState {
  trunkId: string;
  name: string;
  /** `down` only when every target is down; `unknown` until a target has an answer. */
  state: TargetState;
  targets: TargetHealth[];
}

export interface WatchedTrunk {
  id: string;
  accountId: string;
  name: string;
  targets: TrunkTarget[];
}

export interface TrunkHealthOptions {
  sendOptions: SendOptions;
  timers: Timers;
  /** Epoch ms (fake time in tests). */
  now(): number;
  /** Where `trunk.up` / `trunk.down` go: the event bus's `publish`. */
  publish(event: TrunkEvent): void;
  /** Default 30 s (Kamailio's and FreeSWITCH's usual ping interval). */
  intervalMs?: number;
  /** Default 5 s; at most `intervalMs`. */
  timeoutMs?: number;
  /** Default 3. */
  failuresBeforeDown?: number;
  /** Default 2. */
  successesBeforeUp?: number;
  /** Which final statuses prove the target alive; default: all but 503 (see above). */
  isAlive?: (status: number) => boolean;
  logger?: Logger;
}

interface Probe {
  health: TargetHealth;
  failures: number;
  successes: number;
  /** Bumped per ping, so a late answer to an old ping is ignored. */
  generation: number;
  inFlight: boolean;
  /** The next ping, when one is scheduled. */
  timer: { handle: TimerHandle } | null;
}

interface Watched {
  trunk: WatchedTrunk;
  probes: Map<string, Probe>;
}

export function targetKey(t: TrunkTarget): string {
  return `${t.transport}:${t.host.toLowerCase()}:${t.port}`;
}

export class TrunkHealthMonitor implements TrunkHealth {
  readonly #o: TrunkHealthOptions;
  readonly #log: Logger;
  readonly #trunks = new Map<string, Watched>();
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #failuresBeforeDown: number;
  readonly #successesBeforeUp: number;
  readonly #isAlive: (status: number) => boolean;

  constructor(options: TrunkHealthOptions) {
    this.#o = options;
    this.#log = options.logger ?? rootLog.child({ component: "trunk-health" });
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#timeoutMs = Math.min(options.timeoutMs ?? 5_000, this.#intervalMs);
    this.#failuresBeforeDown = Math.max(1, options.failuresBeforeDown ?? 3);
    this.#successesBeforeUp = Math.max(1, options.successesBeforeUp ?? 2);
    this.#isAlive = options.isAlive ?? ((status) => status !== 503);
  }

  /**
   * Starts (or updates) pinging a trunk's targets. A target kept across an update keeps its state;
   * a new one is pinged at once; a removed one stops.
   */
  watch(trunk: WatchedTrunk): void {
    const old = this.#trunks.get(trunk.id);
    const probes = new Map<string, Probe>();
    for (const target of trunk.targets) {
      const key = targetKey(target);
      if (probes.has(key)) continue;
      const kept = old?.probes.get(key);
      if (kept) {
        kept.health.target = target;
        probes.set(key, kept);
        old?.probes.delete(key);
        continue;
      }
      probes.set(key, {
        health: {
          target,
          state: "unknown",
          since: null,
          lastError: null,
          lastStatus: null,
          lastPingAt: null,
        },
        failures: 0,
        successes: 0,
        generation: 0,
        inFlight: false,
        timer: null,
      });
    }
    if (old) for (const p of old.probes.values()) this.#stopProbe(p);
    // The same record is updated in place: pending pings hold it, and then see the new name.
    const watched: Watched = old ?? { trunk, probes };
    watched.trunk = trunk;
    watched.probes = probes;
    this.#trunks.set(trunk.id, watched);
    for (const p of probes.values()) if (p.timer === null && !p.inFlight) this.#ping(watched, p);
  }

  unwatch(trunkId: string): void {
    const w = this.#trunks.get(trunkId);
    if (!w) return;
    this.#trunks.delete(trunkId);
    for (const p of w.probes.values()) this.#stopProbe(p);
  }

  stop(): void {
    for (const id of [...this.#trunks.keys()]) this.unwatch(id);
  }

  /** Unknown trunks and targets count as up: health only ever removes a target from use. */
  isTargetUp(trunkId: string, target: TrunkTarget): boolean {
    return this.#trunks.get(trunkId)?.probes.get(targetKey(target))?.health.state !== "down";
  }

  state(trunkId: string): TrunkHealthState | undefined {
    const w = this.#trunks.get(trunkId);
    if (!w) return undefined;
    const targets = [...w.probes.values()].map((p) => ({ ...p.health, target: { ...p.health.target } }));
    const states = targets.map((t) => t.state);
    const state: TargetState = states.includes("up")
      ? "up"
      : states.length > 0 && states.every((s) => s === "down")
        ? "down"
        : "unknown";
    return { trunkId, name: w.trunk.name, state, targets };
  }

  #stopProbe(p: Probe): void {
    if (p.timer !== null) this.#o.timers.clearTimer(p.timer.handle);
    p.timer = null;
    p.generation++;
    p.inFlight = false;
  }

  #ping(w: Watched, p: Probe): void {
    const { timers } = this.#o;
    p.timer = {
      handle: timers.setTimer(this.#intervalMs, () => {
        p.timer = null;
        // A ping still out when the next is due (timeout = interval) is settled by its own timer.
        if (!p.inFlight) this.#ping(w, p);
      }),
    };
    const generation = ++p.generation;
    p.inFlight = true;
    p.health.lastPingAt = new Date(this.#o.now()).toISOString();
    const timeout = timers.setTimer(this.#timeoutMs, () => settle({ kind: "timeout" }));
    const settle = (outcome: PingOutcome) => {
      if (p.generation !== generation || !p.inFlight) return;
      p.inFlight = false;
      timers.clearTimer(timeout);
      this.#record(w, p, outcome);
      if (p.timer === null && this.#trunks.get(w.trunk.id) === w) this.#ping(w, p);
    };
    let sent: Promise<PingOutcome>;
    try {
      sent = this.#o.sendOptions(p.health.target);
    } catch (err) {
      sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    sent.then(settle, (err: unknown) =>
      settle({ kind: "error", error: (err as Error).message ?? String(err) }),
    );
  }

  #record(w: Watched, p: Probe, outcome: PingOutcome): void {
    if (outcome.kind === "skipped") return;
    const h = p.health;
    if (outcome.kind === "response") h.lastStatus = outcome.status;
    const alive = outcome.kind === "response" && this.#isAlive(outcome.status);
    if (alive) {
      p.failures = 0;
      p.successes++;
      if (h.state === "unknown") this.#enter(w, p, "up", false);
      else if (h.state === "down" && p.successes >= this.#successesBeforeUp) this.#enter(w, p, "up", true);
      return;
    }
    p.successes = 0;
    p.failures++;
    h.lastError = describe(outcome);
    if (h.state !== "down" && p.failures >= this.#failuresBeforeDown) this.#enter(w, p, "down", true);
  }

  #enter(w: Watched, p: Probe, state: "up" | "down", announce: boolean): void {
    const h = p.health;
    const at = new Date(this.#o.now()).toISOString();
    h.state = state;
    h.since = at;
    const target = `${h.target.transport}:${h.target.host}:${h.target.port}`;
    this.#log.info({ trunkId: w.trunk.id, target, state, lastError: h.lastError }, `trunk target ${state}`);
    if (!announce) return;
    try {
      this.#o.publish({
        type: state === "up" ? "trunk.up" : "trunk.down",
        timestamp: at,
        data: {
          accountId: w.trunk.accountId,
          trunk: {
            id: w.trunk.id,
            name: w.trunk.name,
            target: { host: h.target.host, port: h.target.port, transport: h.target.transport },
            state,
            since: at,
            lastError: h.lastError,
          },
        },
      });
    } catch (err) {
      this.#log.error({ err, trunkId: w.trunk.id }, "trunk event not published");
    }
  }
}

function describe(outcome: Exclude<PingOutcome, { kind: "skipped" }>): string {
  switch (outcome.kind) {
    case "timeout":
      return "timeout";
    case "error":
      return outcome.error;
    case "response":
      return `${outcome.status}${outcome.reason ? ` ${outcome.reason}` : ""}`;
  }
}
