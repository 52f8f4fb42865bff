import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterUsage } from "./cluster-usage.js";
import { DIALECTS, openTestStore, stopPostgres, type TestStore } from "./testing/stores.js";
import { TrunkMinutesSeed } from "./trunk-minutes.js";

const midnight = Date.UTC(2026, 11, 5);
const at = (minutesAfterMidnight: number) => midnight + minutesAfterMidnight * 60_000;
/** The reads happen at 12:00 UTC. */
const NOW = at(12 * 60);

afterAll(stopPostgres, 60_000);

describe.each(DIALECTS)("the other nodes' trunk calls (%s)", (dialect) => {
  let ts: TestStore;
  let n = 0;

  /**
   * One outbound leg of a call of `node` (null: recorded before nodes had ids), at minutes of the
   * day; `callEnded` defaults to the leg's end.
   */
  async function leg(o: {
    node: string | null;
    account?: string;
    trunk?: string | null;
    answered?: number | null;
    ended?: number | null;
    callEnded?: number | null;
  }) {
    const id = `z${++n}`;
    const { db, t } = ts.store;
    const ended = o.ended ?? null;
    const callEnded = o.callEnded === undefined ? ended : o.callEnded;
    await db.insert(t.calls).values({
      id,
      accountId: o.account ?? "acc_a",
      sipCallId: id,
      from: "a",
      to: "b",
      state: callEnded === null ? "answered" : "completed",
      startedAt: at(-120),
      endedAt: callEnded === null ? null : at(callEnded),
      nodeId: o.node,
    });
    await db.insert(t.callLegs).values({
      id,
      callId: id,
      direction: "outbound",
      sipCallId: `${id}@leg`,
      remoteUri: "sip:+15550000000@127.0.0.1",
      transport: "udp",
      trunkId: o.trunk === undefined ? "trk_1" : o.trunk,
      state: ended === null ? "confirmed" : "terminated",
      createdAt: at(-120),
      answeredAt: o.answered == null ? null : at(o.answered),
      endedAt: ended === null ? null : at(ended),
    });
  }

  beforeEach(async () => {
    ts = await openTestStore(dialect);
    for (const id of ["acc_a", "acc_b"])
      await ts.store.db.insert(ts.store.t.accounts).values({ id, name: id, createdAt: 0 });
  });
  afterEach(() => ts.cleanup());

  /** Both nodes' calls, alike: what node A reads must be node B's alone. */
  async function twoNodes() {
    for (const node of ["node-a", "node-b"]) {
      await leg({ node, answered: 600, ended: 610 }); // 10 min, ended today
      await leg({ node, trunk: "trk_2", answered: 700, ended: 701.5 }); // 1.5 min
      await leg({ node, answered: -30, ended: 2 }); // began yesterday, ended today: 32 min
      await leg({ node, answered: -60, ended: -10 }); // ended yesterday
      await leg({ node, answered: null, ended: 5 }); // ended unanswered: no minutes
      await leg({ node, answered: 690 }); // in progress, answered 30 min before the read
      await leg({ node, trunk: "trk_2", answered: null }); // in progress, ringing
      await leg({ node, answered: 700, callEnded: 710 }); // leg never marked ended, its call was
      await leg({ node, trunk: null, answered: 0 }); // not through a trunk
      await leg({ node, account: "acc_b", answered: 715 }); // another account's, same trunk id
    }
    await leg({ node: null, answered: 100, ended: 160 }); // before nodes had ids: the seed's
  }

  it("counts only the other nodes' legs: in progress, and seconds ended today, per account and trunk", async () => {
    await twoNodes();
    const usage = new ClusterUsage({ store: ts.store, nodeId: "node-a", now: () => NOW });
    expect(usage.since).toBeNull();
    expect(usage.concurrent("acc_a", "trk_1")).toBe(0);
    await usage.refresh();
    expect(usage.since).toBe(midnight);

    expect(usage.figures("acc_a", "trk_1")).toEqual({
      concurrent: 1,
      endedMs: (10 + 32) * 60_000,
      runningMs: 30 * 60_000,
    });
    expect(usage.figures("acc_a", "trk_2")).toEqual({ concurrent: 1, endedMs: 1.5 * 60_000, runningMs: 0 });
    expect(usage.figures("acc_a", null)).toEqual({
      concurrent: 2,
      endedMs: 43.5 * 60_000,
      runningMs: 30 * 60_000,
    });
    expect(usage.figures("acc_b", "trk_1")).toEqual({ concurrent: 1, endedMs: 0, runningMs: 5 * 60_000 });
    expect(usage.concurrent("acc_a", null)).toBe(2);
    expect(usage.usedSec("acc_a", "trk_1", NOW)).toBe((42 + 30) * 60);
    expect(usage.usedSec("acc_a", null, NOW)).toBe((43.5 + 30) * 60);
    expect(usage.concurrent("acc_a", "trk_9")).toBe(0);

    // Node B reads node A's, the same figures: neither counts its own.
    const fromB = new ClusterUsage({ store: ts.store, nodeId: "node-b", now: () => NOW });
    await fromB.refresh();
    expect(fromB.figures("acc_a", null)).toEqual(usage.figures("acc_a", null));
    // A third node sees both.
    const fromC = new ClusterUsage({ store: ts.store, nodeId: "node-c", now: () => NOW });
    await fromC.refresh();
    expect(fromC.concurrent("acc_a", null)).toBe(4);
  });

  it("with the seed of this node's own calls, counts every call exactly once", async () => {
    await twoNodes();
    const since = new Date(midnight);
    const all = (await TrunkMinutesSeed.load(ts.store, since)).minutesSince("acc_a", null, since);
    for (const node of ["node-a", "node-b"]) {
      const own = (await TrunkMinutesSeed.load(ts.store, since, node)).minutesSince("acc_a", null, since);
      const others = new ClusterUsage({ store: ts.store, nodeId: node, now: () => NOW });
      await others.refresh();
      expect(own, node).toBe(43.5 + 60); // its own ended today, and the call with no node
      expect(own + others.figures("acc_a", null).endedMs / 60_000, node).toBe(all);
    }
    expect(all).toBe(2 * 43.5 + 60);
  });

  it("keeps what it read until the next read, and what ended counts only on the read's UTC day", async () => {
    const clock = { now: NOW };
    const usage = new ClusterUsage({ store: ts.store, nodeId: "node-a", now: () => clock.now });
    await leg({ node: "node-b", answered: 600, ended: 610 });
    await leg({ node: "node-b", answered: 690 });
    await usage.refresh();
    expect(usage.usedSec("acc_a", "trk_1", clock.now)).toBe(40 * 60);

    // Written after the read: not seen until the next (the documented staleness bound).
    await leg({ node: "node-b", answered: null });
    clock.now += 1_000;
    expect(usage.concurrent("acc_a", "trk_1")).toBe(1);
    expect(usage.usedSec("acc_a", "trk_1", clock.now)).toBe(40 * 60); // as read, not run on
    await usage.refresh();
    expect(usage.concurrent("acc_a", "trk_1")).toBe(2);

    // Past midnight and not yet read again: yesterday's ended legs count no more, calls in
    // progress still do (a call's seconds go to the day it ends).
    const tomorrow = midnight + 86_400_000;
    expect(usage.usedSec("acc_a", "trk_1", tomorrow)).toBe(30 * 60 + 1);
    clock.now = tomorrow + 1_000;
    await usage.refresh();
    expect(usage.since).toBe(tomorrow);
    expect(usage.figures("acc_a", "trk_1").endedMs).toBe(0);
  });

  it("a failed read rejects and leaves the last figures", async () => {
    await leg({ node: "node-b", answered: 690 });
    let fail = false;
    const failing = {
      ...ts.store,
      get db() {
        if (fail) throw new Error("connection terminated");
        return ts.store.db;
      },
    };
    const usage = new ClusterUsage({ store: failing, nodeId: "node-a", now: () => NOW });
    await usage.refresh();
    fail = true;
    await expect(usage.refresh()).rejects.toThrow("connection terminated");
    expect(usage.figures("acc_a", "trk_1")).toEqual({ concurrent: 1, endedMs: 0, runningMs: 30 * 60_000 });
  });
});
