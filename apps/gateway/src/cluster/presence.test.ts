/**
 * Node presence and node-lost on a real database of each dialect (SPEC §2: parts as their own
 * processes on one database), each node on its own connection as separate processes would be: the
 * same SQLite file opened again, or another PostgreSQL pool. The test seeds and inspects through
 * its own Store, with awaited queries on the dialect's tables. Heartbeats are driven by hand
 * (`beat()`) against a pinned clock; nothing here waits on wall time except the twin check, which
 * is bounded by a short heartbeat.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CallEventData, HooklineEvent } from "@hookline/callbacks";
import { eq, first, openDatabase, pgStore, sqliteStore, type CallState, type Store } from "@hookline/db";
import { openPostgres } from "@hookline/db/pg";
import { DIALECTS, openTestStore, stopPostgres, type TestStore } from "@hookline/db/testing/stores";
import { silentLogger } from "@hookline/log";
import { NodeIdInUseError, NodePresence } from "./presence.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let test: TestStore;
  /** The test's own connection, for seeding and inspecting. */
  let store: Store;
  /** Closes the nodes' connections. */
  let closers: (() => Promise<void>)[];
  let clock: { now: number };

  beforeEach(async () => {
    test = await openTestStore(dialect);
    store = test.store;
    closers = [];
    clock = { now: Date.UTC(2026, 11, 6, 5, 0) };
  });
  afterEach(async () => {
    for (const close of closers) await close();
    await test.cleanup();
  });

  /** Another connection to the test's database, as another process would open it. */
  async function connect(): Promise<Store> {
    if (test.sqlite) {
      const d = openDatabase({ file: test.sqlite.file });
      closers.push(() => Promise.resolve(d.close()));
      return sqliteStore(d.db);
    }
    if (!test.pg) throw new Error(`no database for ${dialect}`);
    const p = await openPostgres({ url: test.pg.url, max: 2 });
    closers.push(p.close);
    return pgStore(p.db);
  }

  /** A node on its own connection; the events it accepts are kept in `accepted`. */
  async function presence(id: string, heartbeatMs = 1000) {
    const accepted: HooklineEvent[] = [];
    const p = new NodePresence({
      store: await connect(),
      accept: (e) => {
        accepted.push(e);
        return Promise.resolve();
      },
      now: () => clock.now,
      id,
      roles: ["gateway"],
      version: "0.1.0",
      heartbeatMs,
      logger: silentLogger,
      // The tests beat by hand against a pinned clock: a timer's beat would refresh a "dead" node.
      timer: false,
    });
    return Object.assign(p, { accepted });
  }

  /** A call as the recorder writes it for `nodeId`, with one leg and `trace` SIP messages. */
  async function recordCall(id: string, nodeId: string | null, state: CallState, trace = 2) {
    const {
      db,
      t: { accounts, callLegs, callMessages, calls },
    } = store;
    if (!first(await db.select().from(accounts).where(eq(accounts.id, "acc_1")).limit(1)))
      await db.insert(accounts).values({ id: "acc_1", name: "Acme", createdAt: 0 });
    const startedAt = clock.now - 20_000;
    await db.insert(calls).values({
      id,
      accountId: "acc_1",
      sipCallId: `${id}@test`,
      from: "sip:alice@acme.test",
      to: "sip:bob@acme.test",
      state,
      startedAt,
      answeredAt: state === "answered" ? startedAt + 5000 : null,
      nodeId,
    });
    await db.insert(callLegs).values({
      id: `leg_${id}`,
      callId: id,
      direction: "inbound",
      sipCallId: `${id}@test`,
      remoteUri: "sip:alice@acme.test",
      transport: "udp",
      state: state === "answered" ? "confirmed" : "early",
      createdAt: startedAt,
    });
    for (let seq = 1; seq <= trace; seq++) {
      await db.insert(callMessages).values({
        callId: id,
        seq,
        direction: "received",
        method: "INVITE",
        at: startedAt,
        headers: {},
        bodySize: 0,
      });
    }
  }

  const callRow = async (id: string) => {
    const { calls } = store.t;
    return first(await store.db.select().from(calls).where(eq(calls.id, id)).limit(1));
  };
  const legRow = async (id: string) => {
    const { callLegs } = store.t;
    return first(
      await store.db
        .select()
        .from(callLegs)
        .where(eq(callLegs.id, `leg_${id}`))
        .limit(1),
    );
  };
  const nodeRow = async (id: string) => {
    const { nodes } = store.t;
    return first(await store.db.select().from(nodes).where(eq(nodes.id, id)).limit(1));
  };

  describe("heartbeats (SPEC §2 parts as their own processes)", () => {
    it("a node announces itself with roles and addresses, and each beat moves its heartbeat", async () => {
      const a = await presence("edge-1");
      await a.claimId();
      await a.announce({ sipAddress: "127.0.0.1:5060", httpAddress: "127.0.0.1:3000" });
      expect(await nodeRow("edge-1")).toMatchObject({
        roles: "gateway",
        sipAddress: "127.0.0.1:5060",
        httpAddress: "127.0.0.1:3000",
        heartbeatAt: clock.now,
        heartbeatMs: 1000,
        lostAt: null,
      });
      clock.now += 1000;
      await a.beat();
      expect((await nodeRow("edge-1"))?.heartbeatAt).toBe(clock.now);
      await a.stop();
      expect(await store.db.select().from(store.t.nodes)).toEqual([]);
    });
  });

  describe("node-lost: a survivor ends a lost node's calls", () => {
    it("after three missed heartbeats, exactly one of two survivors claims the node and fails its calls", async () => {
      const dead = await presence("dead");
      await dead.announce({});
      await recordCall("call_ringing", "dead", "ringing", 3);
      await recordCall("call_answered", "dead", "answered", 5);
      await recordCall("call_done", "dead", "completed");
      await recordCall("call_elsewhere", "alive", "answered");
      const [s1, s2] = [await presence("alive"), await presence("other")];
      for (const s of [s1, s2]) await s.announce({});

      // Three heartbeats missed exactly: not lost yet.
      clock.now += 3000;
      await Promise.all([s1.beat(), s2.beat()]);
      expect((await callRow("call_ringing"))?.state).toBe("ringing");

      clock.now += 1;
      await Promise.all([s1.beat(), s2.beat()]);
      expect(s1.endedCalls + s2.endedCalls).toBe(2);
      expect([s1.endedCalls, s2.endedCalls]).toContain(0);
      for (const id of ["call_ringing", "call_answered"]) {
        expect(await callRow(id)).toMatchObject({
          state: "failed",
          endReason: "node-lost",
          endStatus: null,
          endedAt: clock.now,
        });
        expect(await legRow(id)).toMatchObject({ state: "terminated", endedAt: clock.now });
      }
      expect((await callRow("call_done"))?.state).toBe("completed");
      expect((await callRow("call_elsewhere"))?.state).toBe("answered");
      expect((await nodeRow("dead"))?.lostAt).toBe(clock.now);

      // One call.failed per call, numbered after the call's trace, as the B2BUA's own ending reads.
      const events = [...s1.accepted, ...s2.accepted].sort((a, b) =>
        (a.data as CallEventData).callId.localeCompare((b.data as CallEventData).callId),
      );
      expect(
        events.map((e) => [e.type, (e.data as CallEventData).callId, (e.data as CallEventData).seq]),
      ).toEqual([
        ["call.failed", "call_answered", 6],
        ["call.failed", "call_ringing", 4],
      ]);
      expect((events[0]!.data as CallEventData).call).toMatchObject({
        state: "failed",
        reason: "node-lost",
        endReason: "node-lost",
        endStatus: null,
        durationSec: 18,
        endedAt: new Date(clock.now).toISOString(),
      });

      // Claimed once: later beats end nothing more.
      clock.now += 1000;
      await Promise.all([s1.beat(), s2.beat()]);
      expect(s1.accepted.length + s2.accepted.length).toBe(2);
    });

    it("a node claimed by a survivor that died before ending its calls has them ended by another", async () => {
      const dead = await presence("dead");
      await dead.announce({});
      await recordCall("call_orphan", "dead", "answered");
      // The claimer's conditional UPDATE went through; then it was killed too.
      const { nodes } = store.t;
      await store.db.update(nodes).set({ lostAt: clock.now }).where(eq(nodes.id, "dead"));
      const s = await presence("survivor");
      await s.announce({});
      await s.beat();
      expect(await callRow("call_orphan")).toMatchObject({ state: "failed", endReason: "node-lost" });
      expect(s.accepted.map((e) => e.type)).toEqual(["call.failed"]);
      await s.beat();
      expect(s.accepted).toHaveLength(1);
    });

    it("a lost node that beats again is up again, and its later calls are its own", async () => {
      const slow = await presence("slow");
      await slow.announce({});
      const s = await presence("survivor");
      await s.announce({});
      clock.now += 3001;
      await s.beat();
      expect((await nodeRow("slow"))?.lostAt).not.toBeNull();
      await slow.beat();
      await recordCall("call_later", "slow", "ringing");
      clock.now += 1000;
      await s.beat();
      expect((await nodeRow("slow"))?.lostAt).toBeNull();
      expect((await callRow("call_later"))?.state).toBe("ringing");
    });

    it("a node restarting with the same id ends the calls its previous run left in progress", async () => {
      const firstRun = await presence("edge-1");
      await firstRun.announce({});
      await recordCall("call_left", "edge-1", "answered");
      await recordCall("call_other", "edge-2", "answered");
      // Killed: no stop(), the row stays; long enough ago that its heartbeat is stale.
      clock.now += 10_000;
      const again = await presence("edge-1");
      await again.claimId();
      expect(await callRow("call_left")).toMatchObject({ state: "failed", endReason: "node-lost" });
      expect((await callRow("call_other"))?.state).toBe("answered");
      expect(again.accepted.map((e) => e.type)).toEqual(["call.failed"]);
    });
  });

  describe("HOOKLINE_NODE_ID taken by a live node", () => {
    it("refuses a second process with the id of a node that keeps beating", async () => {
      const live = new NodePresence({
        store: await connect(),
        accept: () => Promise.resolve(),
        id: "twin",
        roles: ["delivery"],
        version: "0.1.0",
        heartbeatMs: 50,
        logger: silentLogger,
      });
      await live.announce({});
      const twin = new NodePresence({
        store: await connect(),
        accept: () => Promise.resolve(),
        id: "twin",
        roles: ["delivery"],
        version: "0.1.0",
        heartbeatMs: 50,
        logger: silentLogger,
      });
      try {
        await expect(twin.claimId()).rejects.toThrow(NodeIdInUseError);
        await expect(twin.claimId()).rejects.toThrow(/^HOOKLINE_NODE_ID: node "twin" is running/);
      } finally {
        await live.stop();
      }
    });
  });
});

afterAll(stopPostgres, 60_000);
