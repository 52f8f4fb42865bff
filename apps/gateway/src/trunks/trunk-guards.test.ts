import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  accounts,
  callLegs,
  calls,
  ClusterUsage,
  eq,
  NO_FRAUD_LIMITS,
  openDatabase,
  sqliteStore,
  trunks,
  type OpenedDatabase,
  type Trunk,
} from "@hookline/db";
import { TrunkDirectory } from "./trunk-directory.js";
import { createLogger } from "@hookline/log";
import { OTHER_NODES_REFRESH_MS, TrunkGuards, type RefreshedUsage } from "./trunk-guards.js";

let dir: string, database: OpenedDatabase, guards: TrunkGuards;

const trunkRow = (id: string, name: string, ports: number[]): Trunk => ({
  id,
  accountId: "acc_1",
  name,
  isDefault: false,
  outboundTargets: ports.map((port, i) => ({ host: "127.0.0.1", port, transport: "udp", priority: i })),
  outboundUsername: null,
  outboundPasswordSealed: null,
  inboundAddresses: [],
  inboundUsername: null,
  inboundPasswordSealed: null,
  numberFormat: { countryCode: null, nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
  codecs: ["PCMU"],
  callerId: { number: null, assertIdentity: true },
  fraudLimits: NO_FRAUD_LIMITS,
  createdAt: 0,
  updatedAt: 0,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-trunk-guards-"));
  database = openDatabase({ file: join(dir, "hookline.db") });
  database.db.insert(accounts).values({ id: "acc_1", name: "acme", createdAt: 0 }).run();
  guards = new TrunkGuards({
    db: database.db,
    directory: new TrunkDirectory(database.db, "secret"),
    publish: () => undefined,
    // No SIP stack here: every ping fails at once, which is no state change before two in a row.
    stack: () => {
      throw new Error("no SIP stack in this test");
    },
    health: { intervalMs: 60_000, failuresBeforeDown: 2 },
  });
});
afterEach(() => {
  guards.stop();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the health monitor follows the trunk directory", () => {
  it("watches a trunk once created, follows its targets when changed, and drops it when deleted", () => {
    const { db } = database;
    expect(guards.healthOf("trk_1")).toEqual({ state: "unknown", targets: [] });
    db.insert(trunks)
      .values(trunkRow("trk_1", "carrier-a", [5070]))
      .run();
    guards.sync();
    expect(guards.healthOf("trk_1").targets).toEqual([
      { host: "127.0.0.1", port: 5070, transport: "udp", state: "unknown", since: null, lastError: null },
    ]);

    const changed = trunkRow("trk_1", "carrier-a", [5071, 5072]).outboundTargets;
    db.update(trunks).set({ outboundTargets: changed }).where(eq(trunks.id, "trk_1")).run();
    guards.sync();
    expect(guards.healthOf("trk_1").targets.map((t) => t.port)).toEqual([5071, 5072]);
    expect(guards.health.state("trk_1")?.name).toBe("carrier-a");

    db.delete(trunks).where(eq(trunks.id, "trk_1")).run();
    guards.sync();
    expect(guards.health.state("trk_1")).toBeUndefined();
  });
});

describe("the fraud guard reads stored limits at each admission", () => {
  it("applies a trunk's and the account's limits as soon as they are stored", () => {
    const { db } = database;
    db.insert(trunks)
      .values(trunkRow("trk_1", "carrier-a", [5070]))
      .run();
    const ask = () =>
      guards.fraud.admitOutbound({ accountId: "acc_1", trunkId: "trk_1", destination: "+19005550100" });
    expect(ask()).toEqual({ ok: true });

    db.update(trunks)
      .set({ fraudLimits: { ...NO_FRAUD_LIMITS, deniedPrefixes: ["+1900"] } })
      .where(eq(trunks.id, "trk_1"))
      .run();
    expect(ask()).toMatchObject({
      ok: false,
      status: 403,
      reason: expect.stringContaining("trunk carrier-a"),
    });

    db.update(trunks).set({ fraudLimits: NO_FRAUD_LIMITS }).where(eq(trunks.id, "trk_1")).run();
    db.update(accounts)
      .set({ fraudLimits: { ...NO_FRAUD_LIMITS, allowedPrefixes: ["+44"] } })
      .where(eq(accounts.id, "acc_1"))
      .run();
    expect(ask()).toMatchObject({
      ok: false,
      status: 403,
      reason: "destination +19005550100 is not in the allowed prefixes of account acme",
    });
  });
});

describe("today's minutes for the daily cap", () => {
  const capped = { ...NO_FRAUD_LIMITS, dailyOutboundMinutes: 60 };
  const ask = (g: TrunkGuards) =>
    g.fraud.admitOutbound({ accountId: "acc_1", trunkId: "trk_1", destination: "+442071234567" });

  it("on SQLite, reads what ended today from the call legs the first time a trunk is seen", () => {
    const { db } = database;
    db.insert(trunks)
      .values({ ...trunkRow("trk_1", "carrier-a", [5070]), fraudLimits: capped })
      .run();
    const now = Date.now();
    db.insert(calls)
      .values({
        id: "call_1",
        accountId: "acc_1",
        sipCallId: "c1",
        from: "a",
        to: "b",
        state: "completed",
        startedAt: now,
      })
      .run();
    db.insert(callLegs)
      .values({
        id: "leg_1",
        callId: "call_1",
        direction: "outbound",
        sipCallId: "c1@leg",
        remoteUri: "sip:+442071234567@127.0.0.1",
        transport: "udp",
        trunkId: "trk_1",
        state: "terminated",
        createdAt: now,
        // An hour answered, ended now: today's whole cap (the day it ENDED gets it all).
        answeredAt: now - 3_600_000,
        endedAt: now,
      })
      .run();
    expect(ask(guards)).toMatchObject({ ok: false, status: 403, code: "daily_minutes" });
  });

  it("given minutes read at start (PostgreSQL), answers from them and not from a query", () => {
    const { db } = database;
    db.insert(trunks)
      .values({ ...trunkRow("trk_1", "carrier-a", [5070]), fraudLimits: capped })
      .run();
    const asked: Array<[string, string | null, number]> = [];
    const used = new Map<string | null, number>([
      [null, 5],
      ["trk_1", 60],
    ]);
    const seeded = new TrunkGuards({
      // No database: the read at first sight would throw if it were made.
      minutes: {
        minutesSince: (accountId, trunkId, since) => {
          asked.push([accountId, trunkId, since.getTime()]);
          return used.get(trunkId) ?? 0;
        },
      },
      directory: new TrunkDirectory(db, "secret"),
      publish: () => undefined,
      stack: () => {
        throw new Error("no SIP stack in this test");
      },
    });
    const midnight = () => new Date(Date.now()).setUTCHours(0, 0, 0, 0);
    // The UTC midnight of the admission (either side of it, should one pass meanwhile).
    const days = [midnight()];
    expect(ask(seeded)).toMatchObject({
      ok: false,
      status: 403,
      code: "daily_minutes",
      reason: expect.stringContaining("trunk carrier-a"),
    });
    days.push(midnight());
    expect(asked.filter(([, trunkId]) => trunkId === "trk_1")).toHaveLength(1);
    expect(asked.find(([, trunkId]) => trunkId === "trk_1")?.[0]).toBe("acc_1");
    expect(days).toContain(asked.find(([, trunkId]) => trunkId === "trk_1")?.[2]);
    // Under the cap, the call passes.
    used.set("trk_1", 59);
    const fresh = new TrunkGuards({
      minutes: { minutesSince: (_a, trunkId) => used.get(trunkId) ?? 0 },
      directory: new TrunkDirectory(db, "secret"),
      publish: () => undefined,
      stack: () => {
        throw new Error("no SIP stack in this test");
      },
    });
    expect(ask(fresh)).toEqual({ ok: true });
  });
});

describe("the other gateway nodes' calls (PostgreSQL wiring, here on the SQLite file)", () => {
  const limited = { ...NO_FRAUD_LIMITS, maxConcurrentCalls: 1 };
  const ask = (g: TrunkGuards) =>
    g.fraud.admitOutbound({ accountId: "acc_1", trunkId: "trk_1", destination: "+442071234567" });
  const noStack = () => {
    throw new Error("no SIP stack in this test");
  };

  /** A trunk call in progress recorded by `node`; returns a function that ends it. */
  function callOn(node: string, id: string) {
    const { db } = database;
    const now = Date.now();
    db.insert(calls)
      .values({
        id,
        accountId: "acc_1",
        sipCallId: id,
        from: "a",
        to: "b",
        state: "ringing",
        startedAt: now,
        nodeId: node,
      })
      .run();
    db.insert(callLegs)
      .values({
        id: `${id}_leg`,
        callId: id,
        direction: "outbound",
        sipCallId: `${id}@leg`,
        remoteUri: "sip:+442071234567@127.0.0.1",
        transport: "udp",
        trunkId: "trk_1",
        state: "trying",
        createdAt: now,
      })
      .run();
    return () => {
      db.update(callLegs)
        .set({ state: "terminated", endedAt: Date.now() })
        .where(eq(callLegs.callId, id))
        .run();
      db.update(calls).set({ state: "failed", endedAt: Date.now() }).where(eq(calls.id, id)).run();
    };
  }

  it("refuses at a concurrency limit reached by another node's call, from the last read on", async () => {
    database.db
      .insert(trunks)
      .values({ ...trunkRow("trk_1", "carrier-a", [5070]), fraudLimits: limited })
      .run();
    const otherNodes = new ClusterUsage({ store: sqliteStore(database.db), nodeId: "node-a" });
    const cluster = new TrunkGuards({
      minutes: { minutesSince: () => 0 },
      otherNodes,
      directory: new TrunkDirectory(database.db, "secret"),
      publish: () => undefined,
      stack: noStack,
    });
    callOn("node-a", "call_own"); // this node's own row: its guard counts it in memory, not here
    await cluster.refreshOtherNodes();
    expect(ask(cluster)).toEqual({ ok: true });

    const end = callOn("node-b", "call_other");
    // Not read yet: passes (the documented staleness bound, cluster-usage.ts).
    expect(ask(cluster)).toEqual({ ok: true });
    await cluster.refreshOtherNodes();
    expect(ask(cluster)).toMatchObject({ ok: false, status: 503, code: "concurrent_calls" });
    end();
    await cluster.refreshOtherNodes();
    expect(ask(cluster)).toEqual({ ok: true });
  });

  it("reads again every 2 s from start to stop; a failed read is logged and keeps the last figures", async () => {
    const out: string[] = [];
    const logger = createLogger(
      "warn",
      new Writable({
        write(chunk: Buffer, _enc, done) {
          out.push(chunk.toString());
          done();
        },
      }),
    );
    let reads = 0;
    let fail = false;
    let concurrent = 1;
    const otherNodes: RefreshedUsage = {
      concurrent: () => concurrent,
      usedSec: () => 0,
      refresh: () => {
        reads++;
        if (fail) return Promise.reject(new Error("connection terminated"));
        concurrent = 0;
        return Promise.resolve();
      },
    };
    database.db
      .insert(trunks)
      .values({ ...trunkRow("trk_1", "carrier-a", []), fraudLimits: limited })
      .run();
    vi.useFakeTimers();
    try {
      const timed = new TrunkGuards({
        minutes: { minutesSince: () => 0 },
        otherNodes,
        directory: new TrunkDirectory(database.db, "secret"),
        publish: () => undefined,
        stack: noStack,
        logger,
      });
      timed.start();
      await vi.advanceTimersByTimeAsync(OTHER_NODES_REFRESH_MS - 1);
      expect(reads).toBe(0);
      expect(ask(timed)).toMatchObject({ code: "concurrent_calls" });
      await vi.advanceTimersByTimeAsync(1);
      expect(reads).toBe(1);
      expect(ask(timed)).toEqual({ ok: true });

      fail = true;
      await vi.advanceTimersByTimeAsync(OTHER_NODES_REFRESH_MS);
      expect(reads).toBe(2);
      expect(ask(timed)).toEqual({ ok: true }); // the figures of the last read that worked
      expect(out.join("")).toContain("other nodes' trunk calls not read");
      expect(out.join("")).toContain("connection terminated");

      timed.stop();
      await vi.advanceTimersByTimeAsync(10 * OTHER_NODES_REFRESH_MS);
      expect(reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a slow read is waited for, not doubled", async () => {
    let reads = 0;
    let release = () => {};
    const otherNodes: RefreshedUsage = {
      concurrent: () => 0,
      usedSec: () => 0,
      refresh: () => {
        reads++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    };
    const g = new TrunkGuards({
      minutes: { minutesSince: () => 0 },
      otherNodes,
      directory: new TrunkDirectory(database.db, "secret"),
      publish: () => undefined,
      stack: noStack,
    });
    const first = g.refreshOtherNodes();
    const second = g.refreshOtherNodes();
    expect(reads).toBe(1);
    release();
    await Promise.all([first, second]);
    const third = g.refreshOtherNodes();
    release();
    await third;
    expect(reads).toBe(2);
  });
});
