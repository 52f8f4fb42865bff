import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Worker } from "node:worker_threads";
import { createCallStore, TRACE_BODY_LIMIT, traceBody, type CallStore } from "./call-store.js";
import { newId } from "./ids.js";
import { openDatabase, type OpenedDatabase } from "./open-database.js";
import { accounts, callMessages, calls } from "./schema/index.js";
import { createPgCallStore } from "./pg-call-store.js";
import { fillDatabase } from "./testing.js";
import { openTestStore, stopPostgres, type TestStore } from "./testing/stores.js";

/** Waits for what a worker thread or timer does next; a bound, not a timing assertion. */
const waitFor = <T>(fn: () => T | Promise<T>) => vi.waitFor(fn, { timeout: 15_000 });

afterAll(stopPostgres, 60_000);

let dir: string;
let database: OpenedDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-calls-"));
  database = openDatabase({ file: join(dir, "hookline.db") });
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

const callIds = () =>
  database.db
    .select()
    .from(calls)
    .all()
    .map((c) => c.id);

/** Makes an account; returns a maker of call rows for it. */
function accountCalls() {
  const accountId = newId("acc");
  database.db.insert(accounts).values({ id: accountId, name: "A", createdAt: 1 }).run();
  return (id: string) => ({
    id,
    accountId,
    sipCallId: id,
    from: "a",
    to: "b",
    state: "initiated" as const,
    startedAt: 1,
  });
}

describe.each([
  { mode: "on the event loop", writerThread: false },
  { mode: "in a writer thread", writerThread: true },
])("call store on SQLite, $mode", ({ writerThread }) => {
  it.each([
    { next: "a flush with a new row", ids: ["call_1", "call_2"] },
    { next: "a flush with nothing new", ids: ["call_1"] },
    { next: "close", ids: ["call_1"] },
  ])("keeps a batch the database refused (not a bad row) and writes it on $next", async ({ next, ids }) => {
    const { db } = database;
    const call = accountCalls();
    const errors: unknown[] = [];
    // Writers give up at once (busy timeout 0) with SQLITE_BUSY; the writer thread copies this.
    database.sqlite.pragma("busy_timeout = 0");
    const store = createCallStore(db, { writerThread, maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    store.insertCall(call("call_1"));
    // Another connection holds the write lock.
    const other = openDatabase({ file: join(dir, "hookline.db"), busyTimeoutMs: 0 });
    other.sqlite.exec("begin immediate");
    try {
      store.flush();
      await waitFor(() => expect((errors[0] as { code?: string }).code).toBe("SQLITE_BUSY"));
      expect(callIds()).toEqual([]);
    } finally {
      other.sqlite.exec("rollback");
      other.close();
    }
    // The retry is a second away; an explicit flush or close does not wait for it.
    if (next === "close") store.close();
    else {
      if (next === "a flush with a new row") store.insertCall(call("call_2"));
      store.flush();
    }
    expect(callIds()).toEqual(ids);
    expect(errors).toHaveLength(1);
    store.close();
  });

  it("keeps call records while the database is full, says so once, and writes them when space returns", async () => {
    const { db } = database;
    const call = accountCalls();
    const errors: unknown[] = [];
    const store = createCallStore(db, { writerThread, maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    const { room } = fillDatabase(database);
    const ids = Array.from({ length: 200 }, (_, i) => `call_${i}`);
    for (const id of ids) {
      store.insertCall(call(id));
      store.insertMessage({
        callId: id,
        seq: 1,
        legId: null,
        direction: "received",
        method: "INVITE",
        status: null,
        reason: null,
        requestUri: "sip:b@x",
        cseq: "1 INVITE",
        at: 1,
        headers: { "x-pad": "p".repeat(200) },
        bodySize: 0,
      });
    }
    store.flush();
    await waitFor(() => expect((errors[0] as { code?: string }).code).toBe("SQLITE_FULL"));
    expect(database.health.writable).toBe(false);
    // Still full: later batches (and the retries each second) fail without another report.
    store.updateCall("call_0", { state: "completed", endedAt: 9 });
    store.flush();
    expect(callIds()).toEqual([]);
    room();
    store.updateCall("call_1", { state: "failed" });
    store.flush();
    expect(callIds().sort()).toEqual([...ids].sort());
    expect(db.select().from(callMessages).all()).toHaveLength(200);
    expect(
      db
        .select()
        .from(calls)
        .all()
        .find((c) => c.id === "call_0"),
    ).toMatchObject({ state: "completed" });
    expect(errors).toHaveLength(1);
    store.close();
  });
});

describe("call store in a writer thread", () => {
  it("writes on the event loop what a dead thread had not confirmed, and everything after", async () => {
    const { db } = database;
    const call = accountCalls();
    const errors: unknown[] = [];
    database.sqlite.pragma("busy_timeout = 0");
    let thread: Worker | undefined;
    const store = createCallStore(db, {
      writerThread: true,
      maxDelayMs: 60_000,
      onError: (e) => errors.push(e),
      onWriterThread: (w) => (thread = w),
    });
    // The thread is refused the first batch and keeps it for a retry a second later...
    const other = openDatabase({ file: join(dir, "hookline.db"), busyTimeoutMs: 0 });
    other.sqlite.exec("begin immediate");
    store.insertCall(call("call_1"));
    store.flush();
    await waitFor(() => expect((errors[0] as { code?: string }).code).toBe("SQLITE_BUSY"));
    other.sqlite.exec("rollback");
    other.close();
    // ...but dies before it.
    await thread!.terminate();
    await waitFor(() => expect(callIds()).toEqual(["call_1"]));
    store.insertCall(call("call_2"));
    store.flush();
    expect(callIds()).toEqual(["call_1", "call_2"]);
    expect(errors.map(String)).toEqual([
      "Error: database is locked",
      "Error: call store: the writer thread exited (1)",
    ]);
    store.close();
  });
});

/** A trace row with a body (SPEC §4). */
const message = (callId: string, seq: number, body: string | null, bodySize: number) => ({
  callId,
  seq,
  legId: null,
  direction: "received" as const,
  method: "INVITE",
  status: null,
  reason: null,
  requestUri: "sip:b@x",
  cseq: "1 INVITE",
  at: seq,
  headers: {},
  bodySize,
  body,
});

describe("the trace's message bodies (SPEC §4: up to 16 KiB)", () => {
  it("keeps an SDP whole, cuts a larger body at 16 KiB without splitting a character", () => {
    const sdp =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    expect(traceBody(new TextEncoder().encode(sdp))).toBe(sdp);
    expect(traceBody(new Uint8Array())).toBeNull();
    // 16,383 ASCII bytes, then "é" (2 bytes) straddling the limit: it goes whole, not half.
    const big = new TextEncoder().encode("a".repeat(TRACE_BODY_LIMIT - 1) + "é" + "b".repeat(4000));
    const kept = traceBody(big)!;
    expect(kept).toBe("a".repeat(TRACE_BODY_LIMIT - 1));
    expect(kept).not.toContain("\uFFFD");
    const exact = traceBody(new TextEncoder().encode("x".repeat(TRACE_BODY_LIMIT + 10)))!;
    expect(new TextEncoder().encode(exact).length).toBe(TRACE_BODY_LIMIT);
  });
});

/** The cases both dialects share: the SQLite store on the event loop and in a thread, and PostgreSQL's. */
describe.each([
  { name: "SQLite, on the event loop", dialect: "sqlite" as const, writerThread: false },
  { name: "SQLite, in a writer thread", dialect: "sqlite" as const, writerThread: true },
  { name: "PostgreSQL", dialect: "postgres" as const, writerThread: false },
])("call store on $name", ({ dialect, writerThread }) => {
  let test: TestStore;
  beforeEach(async () => {
    test = await openTestStore(dialect);
  }, 60_000);
  afterEach(() => test.cleanup());

  /** Typed as callers see it: flush() and close() to be awaited (PostgreSQL's return Promises). */
  const open = (options: {
    maxDelayMs?: number;
    maxBatch?: number;
    onError?: (err: unknown) => void;
  }): CallStore =>
    test.pg
      ? createPgCallStore(test.pg.db, options)
      : createCallStore(test.sqlite!.db, { writerThread, ...options });
  const ids = async () => {
    const { db, t } = test.store;
    return (await db.select({ id: t.calls.id }).from(t.calls).orderBy(t.calls.id)).map((c) => c.id);
  };
  const newAccount = async () => {
    const { db, t } = test.store;
    const id = newId("acc");
    await db.insert(t.accounts).values({ id, name: "A", createdAt: 1 });
    return id;
  };
  const call = (id: string, accountId: string) => ({
    id,
    accountId,
    sipCallId: id,
    from: "sip:a@x",
    to: "sip:b@x",
    state: "initiated" as const,
    startedAt: 1,
  });

  it("writes a call and its trace in one batch after maxDelayMs, headers as JSON", async () => {
    const { db, t } = test.store;
    const acc = await newAccount();
    const errors: unknown[] = [];
    const store = open({ maxDelayMs: 5, onError: (e) => errors.push(e) });
    const id = newId("call");
    store.insertCall(call(id, acc));
    for (let seq = 1; seq <= 3; seq++) {
      store.insertMessage({ ...message(id, seq, null, 0), headers: { "x-n": String(seq) } });
    }
    store.updateCall(id, { state: "completed", endedAt: 9 });
    if (test.sqlite) {
      // Nothing is written synchronously, nor on the next turn of the event loop (SQLite can be
      // read synchronously)...
      expect(test.sqlite.db.select().from(calls).all()).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(test.sqlite.db.select().from(calls).all()).toHaveLength(0);
    }
    // ...and everything is there once the batch's delay has passed, without a flush.
    await waitFor(async () =>
      expect((await db.select().from(t.calls))[0]).toMatchObject({ id, state: "completed", endedAt: 9 }),
    );
    const trace = await db.select().from(t.callMessages).orderBy(t.callMessages.seq);
    expect(trace.map((m) => m.headers)).toEqual([{ "x-n": "1" }, { "x-n": "2" }, { "x-n": "3" }]);
    // close() writes what is still queued (PostgreSQL: before its Promise resolves).
    store.updateCall(id, { endReason: "bye" });
    await store.close();
    expect((await db.select().from(t.calls))[0]).toMatchObject({ state: "completed", endReason: "bye" });
    expect(errors).toEqual([]);
  });

  it("reports a bad row without losing the rest of its batch", async () => {
    const errors: unknown[] = [];
    const store = open({ onError: (e) => errors.push(e) });
    // No such account: the foreign key refuses the row.
    store.insertCall(call("call_x", "acc_missing"));
    store.insertCall(call("call_y", await newAccount()));
    await store.flush();
    await waitFor(() => expect(errors).toHaveLength(1));
    expect(await ids()).toEqual(["call_y"]);
    await store.close();
  });

  it("writes a full batch at once, without waiting for the delay", async () => {
    const acc = await newAccount();
    const store = open({ maxDelayMs: 60_000, maxBatch: 3 });
    store.insertCall(call("call_1", acc));
    store.insertCall(call("call_2", acc));
    expect(await ids()).toEqual([]);
    store.insertCall(call("call_3", acc));
    await waitFor(async () => expect(await ids()).toHaveLength(3));
    store.insertCall(call("call_4", acc));
    await store.flush();
    expect(await ids()).toHaveLength(4);
    await store.close();
  });

  it("patches a call and a leg: what a patch leaves out stays as it is", async () => {
    const { db, t } = test.store;
    const acc = await newAccount();
    const store = open({ maxDelayMs: 60_000 });
    store.insertCall(call("call_1", acc));
    store.insertLeg({
      id: "leg_1",
      callId: "call_1",
      direction: "inbound",
      sipCallId: "c1",
      localTag: "l",
      remoteTag: null,
      remoteUri: "sip:a@x",
      transport: "udp",
      source: null,
      trunkId: null,
      state: "trying",
      createdAt: 1,
      answeredAt: null,
      endedAt: null,
    });
    await store.flush();
    store.updateCall("call_1", { state: "answered", answeredAt: 5 });
    store.updateLeg("leg_1", { state: "confirmed", remoteTag: "r", answeredAt: 5 });
    await store.flush();
    store.updateCall("call_1", { state: "completed", endedAt: 9, endStatus: 200 });
    store.updateLeg("leg_1", { state: "terminated", endedAt: 9 });
    await store.flush();
    expect(await db.select().from(t.calls)).toEqual([
      expect.objectContaining({
        state: "completed",
        answeredAt: 5,
        endedAt: 9,
        endStatus: 200,
        ringingAt: null,
      }),
    ]);
    expect(await db.select().from(t.callLegs)).toEqual([
      expect.objectContaining({
        state: "terminated",
        remoteTag: "r",
        answeredAt: 5,
        endedAt: 9,
        localTag: "l",
      }),
    ]);
    await store.close();
  });

  it("stores the trace's bodies, and holds text given directly to the limit too (SPEC §4)", async () => {
    const { db, t } = test.store;
    const store = open({});
    store.insertCall(call("call_b", await newAccount()));
    const sdp = "v=0\r\n" + "a=x\r\n".repeat(3000); // 15,005 bytes: under the limit, kept whole
    store.insertMessage(message("call_b", 1, sdp, sdp.length));
    store.insertMessage(message("call_b", 2, "y".repeat(20_000), 20_000));
    store.insertMessage(message("call_b", 3, null, 0));
    const { body: _omitted, ...noBody } = message("call_b", 4, null, 0);
    store.insertMessage(noBody);
    await store.close();
    const rows = await db.select().from(t.callMessages).orderBy(t.callMessages.seq);
    expect(rows.map((r) => r.body?.length ?? null)).toEqual([sdp.length, TRACE_BODY_LIMIT, null, null]);
    expect(rows[0]!.body).toBe(sdp);
    expect(rows[1]!.bodySize).toBe(20_000);
  });

  it("after close, drops late records and says so once", async () => {
    const errors: unknown[] = [];
    const store = open({ onError: (e) => errors.push(e) });
    await store.close();
    store.updateCall("call_x", { state: "completed" });
    store.updateCall("call_x", { state: "failed" });
    expect(errors.map(String)).toEqual(["Error: call store is closed: a late call record was dropped"]);
  });
});
