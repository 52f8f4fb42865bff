import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCallbackEngine, sign, silentLogger } from "@hookline/callbacks";
import type { CallbackEngine } from "@hookline/callbacks";
import { sqliteHarness } from "../test-helpers.js";
import type { SqliteHarness } from "../test-helpers.js";

let h: SqliteHarness;
let engine: CallbackEngine | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
beforeEach(async () => {
  h = await sqliteHarness({ callbackAllowlist: "127.0.0.1" });
});
afterEach(async () => {
  await engine?.stop({ deadlineMs: 100 });
  await closeReceiver?.();
  await h.close();
});

async function until(check: () => Promise<boolean>) {
  for (let i = 0; !(await check()); i++) {
    if (i > 2000) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("deliveries", () => {
  it("lists, shows attempts, and replays a failed delivery with the same webhook-id", async () => {
    let healthy = false;
    const ids: string[] = [];
    const server = createServer((req, res) => {
      ids.push(req.headers["webhook-id"] as string);
      req.resume();
      req.on("end", () => {
        res.writeHead(healthy ? 200 : 500);
        res.end(healthy ? "thanks" : "down");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closeReceiver = () => new Promise((r) => server.close(() => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const { id: accountId, apiKey } = await h.newAccount();
    const other = await h.newAccount("Other");
    const cb = await h.call("POST", "/v1/callbacks", apiKey, { url, events: ["call.*"] });
    expect(cb.status).toBe(201);

    engine = createCallbackEngine({
      db: h.database.db,
      allowlist: "127.0.0.1",
      retrySchedule: [0, 1],
      logger: silentLogger,
      pollIntervalMs: 20,
    });
    engine.start();
    const { deliveryIds } = await engine.accept({
      type: "call.completed",
      timestamp: new Date().toISOString(),
      data: {
        accountId,
        callId: "call_1",
        seq: 9,
        call: { id: "call_1", state: "completed", from: "a", to: "b", startedAt: "" },
      },
    });
    const id = deliveryIds[0]!;
    await until(async () => (await h.call("GET", `/v1/deliveries/${id}`, apiKey)).body.status === "failed");

    const one = await h.call("GET", `/v1/deliveries/${id}`, apiKey);
    expect(one.body).toMatchObject({
      id,
      callbackId: cb.body.id,
      eventType: "call.completed",
      seq: 9,
      attemptCount: 2,
    });
    expect(one.body.event.body).toMatchObject({ type: "call.completed", data: { seq: 9 } });
    expect(one.body.attempts).toHaveLength(2);
    expect(one.body.attempts[0]).toMatchObject({
      attempt: 1,
      statusCode: 500,
      responseExcerpt: "down",
      error: "HTTP 500",
    });
    expect(typeof one.body.attempts[0].latencyMs).toBe("number");

    const failed = await h.call("GET", `/v1/deliveries?status=failed&callback=${cb.body.id}`, apiKey);
    expect(failed.body.data.map((d: { id: string }) => d.id)).toEqual([id]);
    expect((await h.call("GET", "/v1/deliveries?status=succeeded", apiKey)).body.data).toEqual([]);
    expect((await h.call("GET", "/v1/deliveries?status=lost", apiKey)).status).toBe(400);
    expect((await h.call("GET", `/v1/deliveries/${id}`, other.apiKey)).status).toBe(404);
    expect((await h.call("POST", `/v1/deliveries/${id}/replay`, other.apiKey)).status).toBe(404);

    healthy = true;
    const replayed = await h.call("POST", `/v1/deliveries/${id}/replay`, apiKey);
    expect(replayed.status).toBe(202);
    expect(replayed.body.status).toBe("pending");
    await until(
      async () => (await h.call("GET", `/v1/deliveries/${id}`, apiKey)).body.status === "succeeded",
    );
    expect(new Set(ids)).toEqual(new Set([id]));
  });

  it("refuses to replay a delivery that is still pending", async () => {
    const { id: accountId, apiKey } = await h.newAccount();
    await h.call("POST", "/v1/callbacks", apiKey, { url: "https://hooks.example.com/x", events: ["call.*"] });
    // Accept only, no dispatcher: the delivery stays pending.
    engine = createCallbackEngine({ db: h.database.db, logger: silentLogger, deliver: false });
    engine.start();
    const { deliveryIds } = await engine.accept({
      type: "call.initiated",
      timestamp: new Date().toISOString(),
      data: {
        accountId,
        callId: "call_2",
        seq: 1,
        call: { id: "call_2", state: "initiated", from: "a", to: "b", startedAt: "" },
      },
    });
    const r = await h.call("POST", `/v1/deliveries/${deliveryIds[0]}/replay`, apiKey);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("conflict");
  });

  it("sends a signed test event to one callback, records it, and replays every dead letter", async () => {
    let healthy = false;
    const got: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push({ headers: req.headers, body });
        res.writeHead(healthy ? 200 : 500);
        res.end(healthy ? "ok" : "down");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closeReceiver = () => new Promise((r) => server.close(() => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { id: accountId, apiKey } = await h.newAccount();
    const other = await h.newAccount("Other");
    const { body: cb } = await h.call("POST", "/v1/callbacks", apiKey, { url, events: ["sip.*", "sip.BYE"] });
    engine = createCallbackEngine({
      db: h.database.db,
      allowlist: "127.0.0.1",
      retrySchedule: [0],
      logger: silentLogger,
      pollIntervalMs: 20,
    });
    engine.start();

    expect((await h.call("POST", `/v1/callbacks/${cb.id}/test`, other.apiKey, {})).status).toBe(404);
    const sent = await h.call("POST", `/v1/callbacks/${cb.id}/test`, apiKey, {});
    expect(sent.status).toBe(202);
    expect(sent.body.eventType).toBe("sip.BYE");
    const id: string = sent.body.deliveryId;
    await until(async () => (await h.call("GET", `/v1/deliveries/${id}`, apiKey)).body.status === "failed");
    const first = got[0]!;
    expect(first.headers["webhook-id"]).toBe(id);
    const ts = Number(first.headers["webhook-timestamp"]);
    expect(first.headers["webhook-signature"]).toBe(sign(cb.secret, id, ts, first.body));
    expect(JSON.parse(first.body)).toMatchObject({ type: "sip.BYE", data: { accountId, test: true } });

    expect((await h.call("POST", "/v1/deliveries/replay", other.apiKey, {})).body.replayed).toBe(0);
    healthy = true;
    const all = await h.call("POST", "/v1/deliveries/replay", apiKey, { callback: cb.id });
    expect(all.status).toBe(202);
    expect(all.body.replayed).toBe(1);
    await until(
      async () => (await h.call("GET", `/v1/deliveries/${id}`, apiKey)).body.status === "succeeded",
    );
    expect(got.map((g) => g.headers["webhook-id"])).toEqual([id, id]);
  });
});
