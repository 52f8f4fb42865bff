/** The call store on a real PostgreSQL (pg-call-store.ts): what SQLite's suite cannot show. */
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newId } from "./ids.js";
import { createPgCallStore } from "./pg-call-store.js";
import { freshPostgresDatabase, stopPostgres } from "./testing/stores.js";
import { openPostgres, type OpenedPostgres } from "./pg.js";

/** Waits for what a timer or the server does next; a bound, not a timing assertion. */
const waitFor = <T>(fn: () => T | Promise<T>) => vi.waitFor(fn, { timeout: 15_000, interval: 20 });

afterAll(stopPostgres, 60_000);

let url: string;
let opened: OpenedPostgres;
/** Another connection, to see what is committed. */
let other: pg.Client;
let accountId: string;

beforeEach(async () => {
  url = await freshPostgresDatabase();
  opened = await openPostgres({ url, max: 4 });
  other = new pg.Client({ connectionString: url });
  await other.connect();
  accountId = newId("acc");
  await other.query("INSERT INTO accounts (id, name, created_at) VALUES ($1, 'A', 1)", [accountId]);
}, 60_000);
afterEach(async () => {
  await other.end();
  await opened.close();
});

const call = (id: string, account = accountId) => ({
  id,
  accountId: account,
  sipCallId: id,
  from: "a",
  to: "b",
  state: "initiated" as const,
  startedAt: 1,
});
const leg = (id: string, callId: string) => ({
  id,
  callId,
  direction: "inbound" as const,
  sipCallId: callId,
  localTag: "l",
  remoteTag: null,
  remoteUri: "sip:a@x",
  transport: "udp",
  source: "10.0.0.1:5060",
  trunkId: null,
  state: "trying" as const,
  createdAt: 1,
  answeredAt: null,
  endedAt: null,
});
const message = (callId: string, seq: number, legId: string | null = null) => ({
  callId,
  seq,
  legId,
  direction: "received" as const,
  method: "INVITE",
  status: null,
  reason: null,
  requestUri: "sip:b@x",
  cseq: `${seq} INVITE`,
  at: seq,
  headers: { "x-n": String(seq) },
  bodySize: 0,
});

/**
 * Whether the test's database takes new connections; refusing them also ends those it has but
 * `other`'s (from the cluster's first database: PostgreSQL will not change the current one's).
 */
async function allowConnections(allow: boolean): Promise<void> {
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).href,
  });
  await admin.connect();
  try {
    const name = new URL(url).pathname.slice(1);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allow}`);
    if (!allow) {
      const pid = (await other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2",
        [name, pid],
      );
    }
  } finally {
    await admin.end();
  }
}

const callRows = async () =>
  (
    await other.query<{ id: string; state: string; ended_at: string | null; end_reason: string | null }>(
      "SELECT id, state, ended_at::int, end_reason FROM calls ORDER BY id",
    )
  ).rows;
const count = async (table: string) =>
  (await other.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

describe("call store on PostgreSQL", () => {
  it("resolves flush() once the rows are visible to another connection", async () => {
    const store = createPgCallStore(opened.db, { maxDelayMs: 60_000 });
    store.insertCall(call("call_1"));
    store.insertMessage(message("call_1", 1));
    expect(await count("calls")).toBe(0);
    await store.flush();
    expect((await callRows()).map((c) => c.id)).toEqual(["call_1"]);
    expect(await count("call_messages")).toBe(1);
    // A flush with nothing queued resolves too, and so does one after close.
    await store.flush();
    await store.close();
    await store.flush();
  });

  it("writes a call's update after its insert when they are in separate batches", async () => {
    // Each row is its own batch. The insert waits on the account's row (its foreign key check),
    // which another transaction holds: an update written beside it would find no call to update.
    const store = createPgCallStore(opened.db, { maxBatch: 1 });
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
      store.insertCall(call("call_1"));
      store.updateCall("call_1", { state: "completed", endedAt: 9 });
      store.updateCall("call_1", { endReason: "bye" });
      await waitFor(async () => {
        const { rows } = await other.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        expect(rows[0]!.n).toBe(1);
      });
      await locker.query("COMMIT");
    } finally {
      await locker.end();
    }
    await store.flush();
    expect(await callRows()).toEqual([{ id: "call_1", state: "completed", ended_at: 9, end_reason: "bye" }]);
    await store.close();
  });

  it("writes a batch of many kinds of rows in one transaction of a few multi-row statements", async () => {
    const errors: unknown[] = [];
    const store = createPgCallStore(opened.db, { maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    // Ten calls recorded side by side, as a gateway interleaves them: 10 × (1 + 1 + 6 + 3 + 1) rows.
    const ids = Array.from({ length: 10 }, (_, i) => `call_${i}`);
    for (const id of ids) {
      store.insertCall(call(id));
      store.insertLeg(leg(`leg_${id}`, id));
    }
    for (let seq = 1; seq <= 3; seq++) {
      for (const id of ids) {
        store.insertMessage(message(id, seq * 2 - 1, `leg_${id}`));
        store.updateLeg(
          `leg_${id}`,
          seq === 1 ? { state: "early" } : { state: "confirmed", answeredAt: seq },
        );
        store.insertMessage(message(id, seq * 2));
        store.updateCall(id, seq === 3 ? { state: "answered", answeredAt: 3 } : { ringingAt: seq });
      }
    }
    for (const id of ids) {
      store.insertHook({
        callId: id,
        seq: 7,
        at: 7,
        kind: "application",
        eventType: "call.incoming",
        url: "https://app.example/hook",
        status: 200,
        latencyMs: 5,
        actions: [{ action: "answer" }],
        error: null,
      });
    }
    const query = vi.spyOn(pg.Client.prototype, "query");
    try {
      await store.flush();
      const texts = query.mock.calls.map((c) => String(c[0]).split(" ")[0]);
      // BEGIN, calls, legs, the calls' and the legs' patches, messages, hooks, COMMIT.
      expect(texts).toEqual(["BEGIN", "INSERT", "INSERT", "UPDATE", "UPDATE", "INSERT", "INSERT", "COMMIT"]);
    } finally {
      query.mockRestore();
    }
    expect(errors).toEqual([]);
    expect(await count("calls")).toBe(10);
    expect(await count("call_legs")).toBe(10);
    expect(await count("call_messages")).toBe(60);
    expect(await count("call_hooks")).toBe(10);
    // The patches applied in turn: ringingAt from the second, answeredAt and state from the third.
    const { rows } = await other.query(
      "SELECT state, ringing_at::int, answered_at::int FROM calls WHERE id = 'call_3'",
    );
    expect(rows).toEqual([{ state: "answered", ringing_at: 2, answered_at: 3 }]);
    const legs = await other.query("SELECT state, answered_at::int FROM call_legs WHERE id = 'leg_call_3'");
    expect(legs.rows).toEqual([{ state: "confirmed", answered_at: 3 }]);
    const trace = await other.query(
      "SELECT seq, leg_id, headers FROM call_messages WHERE call_id = 'call_3' ORDER BY seq",
    );
    expect(trace.rows.map((m: { headers: unknown }) => m.headers)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ({ "x-n": String(n) })),
    );
    expect(trace.rows.map((m: { leg_id: string | null }) => m.leg_id)).toEqual([
      "leg_call_3",
      null,
      "leg_call_3",
      null,
      "leg_call_3",
      null,
    ]);
    const hooks = await other.query("SELECT actions FROM call_hooks WHERE call_id = 'call_3'");
    expect(hooks.rows).toEqual([{ actions: [{ action: "answer" }] }]);
    await store.close();
  });

  it("keeps the rows' order where grouping would change it: an insert after a row that refers to it", async () => {
    const errors: unknown[] = [];
    const store = createPgCallStore(opened.db, { maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    // In turn, the update finds no call yet (it updates nothing): the call stays as inserted.
    store.updateCall("call_1", { state: "failed" });
    store.insertCall(call("call_1"));
    store.updateCall("call_1", { endReason: "late" });
    await store.flush();
    expect(await callRows()).toEqual([
      { id: "call_1", state: "initiated", ended_at: null, end_reason: "late" },
    ]);
    expect(errors).toEqual([]);
    await store.close();
  });

  it("reports a row a constraint refuses and writes the rest of its batch, and the batches after", async () => {
    const errors: unknown[] = [];
    const store = createPgCallStore(opened.db, { maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    store.insertCall(call("call_1"));
    store.insertCall(call("call_x", "acc_missing")); // no such account: the foreign key refuses it
    store.insertMessage(message("call_1", 1));
    store.insertMessage(message("call_x", 1)); // refused too: its call is not there
    store.insertCall(call("call_2"));
    store.updateCall("call_1", { state: "completed" });
    await store.flush();
    expect((await callRows()).map((c) => [c.id, c.state])).toEqual([
      ["call_1", "completed"],
      ["call_2", "initiated"],
    ]);
    expect(await count("call_messages")).toBe(1);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(["23503", "23503"]);
    store.insertCall(call("call_3"));
    await store.flush();
    expect((await callRows()).map((c) => c.id)).toEqual(["call_1", "call_2", "call_3"]);
    expect(errors).toHaveLength(2);
    await store.close();
  });

  it("keeps a batch while the pool has lost its server connections, says so once, and writes it on a retry", async () => {
    const errors: unknown[] = [];
    const store = createPgCallStore(opened.db, {
      maxDelayMs: 60_000,
      retryMs: 50,
      onError: (e) => errors.push(e),
    });
    // The first write waits on a lock; its connection is terminated while it waits.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE");
    store.insertCall(call("call_1"));
    store.insertMessage(message("call_1", 1));
    const flushed = store.flush();
    await waitFor(async () => {
      const { rows } = await other.query(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      );
      expect(rows).toHaveLength(1);
    });
    // Every connection of the store's pool goes, not only the one writing.
    await other.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1)`,
      [(await locker.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid],
    );
    await flushed; // tried: refused, kept
    expect((errors[0] as { code?: string }).code).toBe("57P01"); // admin_shutdown
    // More rows while it waits for the retry, then the lock goes: the retry writes all, in order.
    store.updateCall("call_1", { state: "completed" });
    store.insertMessage(message("call_1", 2));
    await locker.query("ROLLBACK");
    await locker.end();
    await store.flush();
    await waitFor(async () =>
      expect((await callRows()).map((c) => [c.id, c.state])).toEqual([["call_1", "completed"]]),
    );
    expect(await count("call_messages")).toBe(2);
    expect(errors).toHaveLength(1);
    await store.close();
  });

  it("retries on its own, without a flush, once the server takes connections again", async () => {
    const errors: unknown[] = [];
    const store = createPgCallStore(opened.db, {
      maxDelayMs: 5,
      retryMs: 50,
      onError: (e) => errors.push(e),
    });
    await allowConnections(false);
    store.insertCall(call("call_1"));
    await waitFor(() => expect(errors).toHaveLength(1));
    await allowConnections(true);
    await waitFor(async () => expect((await callRows()).map((c) => c.id)).toEqual(["call_1"]));
    expect(errors).toHaveLength(1);
    await store.close();
  });

  it("on close, reports the rows it could not write", async () => {
    const errors: unknown[] = [];
    const store = createPgCallStore(opened.db, { maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    await allowConnections(false);
    store.insertCall(call("call_1"));
    store.insertCall(call("call_2"));
    await store.close();
    await allowConnections(true);
    expect(errors.map(String).slice(1)).toEqual([
      "Error: call store: 2 call records not written (the database kept failing)",
    ]);
    expect(await count("calls")).toBe(0);
  });
});
