import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callLegs, callMessages, calls, createCallStore, newId } from "@hookline/db";
import type { CallState } from "@hookline/db";
import { sqliteHarness } from "../test-helpers.js";
import type { SqliteHarness } from "../test-helpers.js";

let h: SqliteHarness;
beforeEach(async () => {
  h = await sqliteHarness();
});
afterEach(() => h.close());

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** What the gateway writes for a call: the call, its legs, its trace (inserted out of order). */
function seedCall(accountId: string, state: CallState, startedAt = T0) {
  const db = h.database.db;
  const id = newId("call");
  const leg = newId("leg");
  db.insert(calls)
    .values({
      id,
      accountId,
      sipCallId: `${id}@test`,
      from: "sip:a@x.example",
      to: "sip:b@x.example",
      state,
      startedAt,
    })
    .run();
  db.insert(callLegs)
    .values({
      id: leg,
      callId: id,
      direction: "inbound",
      sipCallId: `${id}@test`,
      remoteUri: "sip:a@198.51.100.1",
      transport: "udp",
      state: "confirmed",
      createdAt: startedAt,
    })
    .run();
  const trace = [
    { seq: 3, method: null, status: 200, reason: "OK", direction: "sent" as const },
    { seq: 1, method: "INVITE", status: null, reason: null, direction: "received" as const },
    { seq: 2, method: null, status: 180, reason: "Ringing", direction: "sent" as const },
  ];
  for (const m of trace) {
    db.insert(callMessages)
      .values({
        ...m,
        callId: id,
        legId: leg,
        at: startedAt + m.seq,
        headers: { "x-n": String(m.seq) },
        bodySize: 0,
      })
      .run();
  }
  return id;
}

describe("calls", () => {
  it("writes the gateway's queued call records before it reads calls", async () => {
    await h.close();
    let flush = () => {};
    h = await sqliteHarness({}, { flushCallRecords: () => flush() });
    const store = createCallStore(h.database.db, { maxDelayMs: 60_000 });
    flush = () => store.flush();
    const { id: accountId, apiKey } = await h.newAccount();
    const id = newId("call");
    const row = { accountId, sipCallId: "q@test", from: "sip:a@x", to: "sip:b@x", startedAt: T0 };
    store.insertCall({ id, ...row, state: "initiated" });
    expect((await h.call("GET", `/v1/calls/${id}`, apiKey)).status).toBe(200);
    store.updateCall(id, { state: "ringing" });
    expect((await h.call("GET", "/v1/calls", apiKey)).body.data[0]).toMatchObject({ id, state: "ringing" });
    const cb = { url: "https://hooks.example.com/x", events: ["sip.BYE"] };
    store.insertCall({ id: newId("call"), ...row, state: "initiated" });
    const other = newId("call");
    store.insertCall({ id: other, ...row, state: "initiated" });
    expect((await h.call("POST", `/v1/calls/${other}/callbacks`, apiKey, cb)).status).toBe(201);
  });

  it("lists calls newest first and shows one with legs and the trace in seq order", async () => {
    const { id: accountId, apiKey } = await h.newAccount();
    const older = seedCall(accountId, "completed", T0);
    const newer = seedCall(accountId, "answered", T0 + 60_000);

    const list = await h.call("GET", "/v1/calls", apiKey);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([newer, older]);
    const answered = await h.call("GET", "/v1/calls?state=completed", apiKey);
    expect(answered.body.data.map((c: { id: string }) => c.id)).toEqual([older]);
    const paged = await h.call(
      "GET",
      `/v1/calls?limit=1&before=${new Date(T0 + 60_000).toISOString()}`,
      apiKey,
    );
    expect(paged.body.data.map((c: { id: string }) => c.id)).toEqual([older]);

    const one = await h.call("GET", `/v1/calls/${older}`, apiKey);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: older, state: "completed", startedAt: "2026-01-01T00:00:00.000Z" });
    expect(one.body.legs).toHaveLength(1);
    expect(
      one.body.messages.map((m: { seq: number; method: string | null; status: number | null }) => [
        m.seq,
        m.method ?? m.status,
      ]),
    ).toEqual([
      [1, "INVITE"],
      [2, 180],
      [3, 200],
    ]);
    expect(one.body.messages[0]).toMatchObject({
      direction: "received",
      time: "2026-01-01T00:00:00.001Z",
      headers: { "x-n": "1" },
    });
  });

  it("registers a callback for one call, refuses one for an ended call, and 404s other accounts", async () => {
    const a = await h.newAccount("A");
    const b = await h.newAccount("B");
    const live = seedCall(a.id, "answered");
    const ended = seedCall(a.id, "completed");
    const body = { url: "https://hooks.example.com/call", events: ["sip.BYE", "sip.INFO"] };

    const created = await h.call("POST", `/v1/calls/${live}/callbacks`, a.apiKey, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, callId: live, secret: expect.stringMatching(/^whsec_/) });
    expect((await h.call("GET", `/v1/callbacks?call=${live}`, a.apiKey)).body.data).toHaveLength(1);
    expect((await h.call("GET", "/v1/callbacks", a.apiKey)).body.data).toEqual([]);

    const late = await h.call("POST", `/v1/calls/${ended}/callbacks`, a.apiKey, body);
    expect(late.status).toBe(409);

    const bad = await h.call("POST", `/v1/calls/${live}/callbacks`, a.apiKey, { ...body, filter: "1 +" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^filter: /);

    expect((await h.call("GET", `/v1/calls/${live}`, b.apiKey)).status).toBe(404);
    expect((await h.call("POST", `/v1/calls/${live}/callbacks`, b.apiKey, body)).status).toBe(404);
    expect((await h.call("GET", "/v1/calls", b.apiKey)).body.data).toEqual([]);
  });
});
