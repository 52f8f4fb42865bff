import { describe, expect, it } from "vitest";
import type { TrunkEvent } from "@hookline/callbacks";
import { silentLogger } from "@hookline/log";
import { FakeTimers } from "@hookline/sip-core";
import type { TrunkHealth, TrunkTarget } from "./ports.js";
import { TrunkHealthMonitor, type PingOutcome, type TrunkHealthOptions } from "./health.js";

const A: TrunkTarget = { host: "127.0.0.2", port: 5060, transport: "udp", priority: 1 };
const B: TrunkTarget = { host: "127.0.0.3", port: 5060, transport: "udp", priority: 2 };
const EPOCH = Date.UTC(2026, 11, 5, 10, 0, 0);

/** What each target answers now: an outcome, or "silent" (the ping never settles by itself). */
type Script = (target: TrunkTarget) => PingOutcome | "silent";

function setup(script: { fn: Script }, options: Partial<TrunkHealthOptions> = {}) {
  const clock = new FakeTimers();
  const events: TrunkEvent[] = [];
  const pinged: string[] = [];
  const monitor = new TrunkHealthMonitor({
    timers: clock,
    now: () => EPOCH + clock.now,
    publish: (e) => events.push(e),
    sendOptions: (target) => {
      pinged.push(`${clock.now}:${target.host}`);
      const r = script.fn(target);
      return r === "silent" ? new Promise<PingOutcome>(() => {}) : Promise.resolve(r);
    },
    intervalMs: 1000,
    timeoutMs: 200,
    failuresBeforeDown: 3,
    successesBeforeUp: 2,
    logger: silentLogger,
    ...options,
  });
  /** Moves fake time, letting answered pings settle in between. */
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 100) {
      clock.advance(Math.min(100, left));
      await new Promise((r) => setImmediate(r));
    }
  };
  const watch = async (targets = [A]) => {
    monitor.watch({ id: "trk_1", accountId: "acc_1", name: "carrier-a", targets });
    await new Promise((r) => setImmediate(r));
  };
  const summary = () => events.map((e) => `${e.type}@${Date.parse(e.timestamp) - EPOCH}`);
  return { clock, events, pinged, monitor, advance, watch, summary };
}

const ok: PingOutcome = { kind: "response", status: 200, reason: "OK" };

describe("OPTIONS health (RFC 3261 §11): failures before down, successes before up", () => {
  it("goes down at the third timeout, not before, and up at the second answer, with one event each", async () => {
    const script = { fn: (() => ok) as Script };
    const { monitor, advance, watch, events, summary, pinged } = setup(script);
    await watch();
    expect(monitor.state("trk_1")?.targets[0]).toMatchObject({ state: "up", lastStatus: 200 });
    expect(events).toEqual([]); // unknown → up is silent

    script.fn = () => "silent";
    await advance(3000); // pings at 1000 and 2000 timed out; the one at 3000 is out
    expect(monitor.isTargetUp("trk_1", A)).toBe(true);
    expect(monitor.state("trk_1")?.targets[0]?.lastError).toBe("timeout");
    await advance(199);
    expect(monitor.isTargetUp("trk_1", A)).toBe(true);
    await advance(1); // third timeout
    expect(monitor.isTargetUp("trk_1", A)).toBe(false);
    expect(summary()).toEqual(["trunk.down@3200"]);
    expect(events[0]?.data).toEqual({
      accountId: "acc_1",
      trunk: {
        id: "trk_1",
        name: "carrier-a",
        target: { host: "127.0.0.2", port: 5060, transport: "udp" },
        state: "down",
        since: new Date(EPOCH + 3200).toISOString(),
        lastError: "timeout",
      },
    });

    script.fn = () => ok;
    await advance(800); // the ping at 4000 answers: one success
    expect(monitor.isTargetUp("trk_1", A)).toBe(false);
    await advance(1000); // the ping at 5000: the second
    expect(monitor.isTargetUp("trk_1", A)).toBe(true);
    expect(summary()).toEqual(["trunk.down@3200", "trunk.up@5000"]);
    expect(events[1]?.data.trunk).toMatchObject({ state: "up", lastError: "timeout" });
    expect(pinged).toEqual([
      "0:127.0.0.2",
      "1000:127.0.0.2",
      "2000:127.0.0.2",
      "3000:127.0.0.2",
      "4000:127.0.0.2",
      "5000:127.0.0.2",
    ]);
  });

  it("counts any reply as alive except 503; a 503 and a transport error are failures", async () => {
    const script = {
      fn: (() => ({ kind: "response", status: 405, reason: "Method Not Allowed" })) as Script,
    };
    const { monitor, advance, watch, summary } = setup(script);
    await watch();
    await advance(5000);
    expect(monitor.state("trk_1")?.targets[0]).toMatchObject({ state: "up", lastStatus: 405 });
    expect(summary()).toEqual([]);

    let n = 0;
    script.fn = () =>
      ++n % 2
        ? { kind: "response", status: 503, reason: "Service Unavailable" }
        : { kind: "error", error: "EHOSTUNREACH" };
    await advance(3000);
    expect(summary()).toEqual(["trunk.down@8000"]);
    expect(monitor.state("trk_1")?.targets[0]).toMatchObject({
      state: "down",
      lastError: "503 Service Unavailable",
    });
  });

  it("a configured isAlive narrows it to 2xx (Kamailio's default)", async () => {
    const script = { fn: (() => ({ kind: "response", status: 404 })) as Script };
    const { monitor, watch, advance } = setup(script, { isAlive: (s) => s < 300, failuresBeforeDown: 1 });
    await watch();
    await advance(0);
    expect(monitor.isTargetUp("trk_1", A)).toBe(false);
  });

  it("a target that never answers goes from unknown to down, with trunk.down", async () => {
    const { monitor, watch, advance, summary } = setup({ fn: () => "silent" });
    await watch();
    expect(monitor.state("trk_1")).toMatchObject({ state: "unknown" });
    expect(monitor.isTargetUp("trk_1", A)).toBe(true); // usable before its first answer
    await advance(2200);
    expect(summary()).toEqual(["trunk.down@2200"]);
    expect(monitor.state("trk_1")).toMatchObject({ state: "down" });
  });

  it("ignores an answer that comes after its ping timed out", async () => {
    const late: Array<(o: PingOutcome) => void> = [];
    const clock = new FakeTimers();
    const monitor = new TrunkHealthMonitor({
      timers: clock,
      now: () => clock.now,
      publish: () => {},
      sendOptions: () => new Promise((resolve) => late.push(resolve)),
      intervalMs: 1000,
      timeoutMs: 200,
      failuresBeforeDown: 1,
      logger: silentLogger,
    });
    monitor.watch({ id: "t", accountId: "a", name: "n", targets: [A] });
    clock.advance(200);
    expect(monitor.isTargetUp("t", A)).toBe(false);
    late[0]?.(ok);
    await new Promise((r) => setImmediate(r));
    expect(monitor.state("t")?.targets[0]).toMatchObject({ state: "down", lastStatus: null });
  });

  it("keeps each target apart, and calls the trunk down only when all its targets are", async () => {
    const script = { fn: ((t: TrunkTarget) => (t.host === A.host ? "silent" : ok)) as Script };
    const { monitor, watch, advance, events } = setup(script);
    await watch([A, B]);
    await advance(2200);
    expect(monitor.isTargetUp("trk_1", A)).toBe(false);
    expect(monitor.isTargetUp("trk_1", B)).toBe(true);
    expect(monitor.state("trk_1")?.state).toBe("up");
    expect(events.map((e) => `${e.type}:${e.data.trunk.target.host}`)).toEqual(["trunk.down:127.0.0.2"]);
  });

  it("keeps a target's state across an update, uses the new name, and stops pinging on unwatch", async () => {
    const { monitor, watch, advance, clock, summary, events, pinged } = setup({ fn: () => "silent" });
    await watch([A]);
    await advance(2200);
    monitor.watch({ id: "trk_1", accountId: "acc_1", name: "carrier-b", targets: [A, B] });
    expect(monitor.isTargetUp("trk_1", A)).toBe(false);
    await advance(2200);
    expect(summary()).toEqual(["trunk.down@2200", "trunk.down@4400"]);
    expect(events[1]?.data.trunk).toMatchObject({ name: "carrier-b", target: { host: B.host } });
    monitor.unwatch("trk_1");
    expect(clock.pending).toBe(0);
    const count = pinged.length;
    await advance(5000);
    expect(pinged.length).toBe(count);
    expect(monitor.state("trk_1")).toBeUndefined();
    expect(monitor.isTargetUp("trk_1", A)).toBe(true);
  });

  it("a skipped ping (no such transport) is neither a success nor a failure", async () => {
    const { monitor, watch, advance } = setup({ fn: () => ({ kind: "skipped", why: "no TLS" }) });
    await watch([{ ...A, transport: "tls" }]);
    await advance(5000);
    expect(monitor.state("trk_1")).toMatchObject({ state: "unknown" });
    const port: TrunkHealth = monitor;
    expect(port.isTargetUp("trk_1", { ...A, transport: "tls" })).toBe(true);
  });
});
