import { Webhook } from "standardwebhooks";
import { sqliteStore, type Store } from "@hookline/db";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallbackEngine, CallbackEngineOptions } from "./engine.js";
import { createCallbackEngine } from "./engine.js";
import { EventBus } from "./event-bus.js";
import { getDelivery, listDeliveries, replayDelivery } from "./delivery-store.js";
import { silentLogger } from "./logger.js";
import { Matcher } from "./matcher.js";
import type { Receiver, Reply, TestDb } from "./test-support.js";
import {
  addCallback,
  receiver,
  seedAccount,
  seedCall,
  sipEvent,
  tempDb,
  until,
  untilAsync,
} from "./test-support.js";
import { tables } from "./tables.js";

let t: TestDb;
let store: Store;
let acc: string;
const engines: CallbackEngine[] = [];
const receivers: Receiver[] = [];

beforeEach(() => {
  t = tempDb();
  store = sqliteStore(t.db);
  acc = seedAccount(t.db);
});

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ deadlineMs: 100 });
  for (const r of receivers.splice(0)) await r.close();
  t.cleanup();
});

function engine(over: Partial<CallbackEngineOptions> = {}): CallbackEngine {
  const e = createCallbackEngine({
    db: t.db,
    allowlist: "127.0.0.1",
    retrySchedule: [0, 20, 40],
    logger: silentLogger,
    pollIntervalMs: 50,
    ...over,
  });
  e.start();
  engines.push(e);
  return e;
}

async function recv(reply?: (r: Parameters<Parameters<typeof receiver>[0] & object>[0], n: number) => Reply) {
  const r = await receiver(reply);
  receivers.push(r);
  return r;
}

describe("delivery", () => {
  it("POSTs the SPEC §4 body with Standard Webhooks headers that verify", async () => {
    const r = await recv();
    const cb = addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine();
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    expect(deliveryIds).toHaveLength(1);
    await until(() => r.received.length === 1);
    const got = r.received[0]!;
    const payload = new Webhook(cb.secret).verify(got.body, {
      "webhook-id": got.headers["webhook-id"] as string,
      "webhook-timestamp": got.headers["webhook-timestamp"] as string,
      "webhook-signature": got.headers["webhook-signature"] as string,
    }) as { type: string; data: { seq: number; message: { headers: Record<string, string> } } };
    expect(got.headers["webhook-id"]).toBe(deliveryIds[0]);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(payload.type).toBe("sip.INVITE");
    expect(payload.data.seq).toBe(1);
    expect(payload.data.message.headers["x-priority"]).toBe("high");
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "succeeded");
  });

  it("signs with both secrets during a rotation", async () => {
    const r = await recv();
    const oldSecret = "whsec_" + Buffer.from("old-secret-old-secret-12").toString("base64");
    const cb = addCallback(t.db, {
      accountId: acc,
      url: r.url,
      events: ["sip.*"],
      previousSecret: oldSecret,
    });
    engine();
    await engines[0]!.accept(sipEvent(acc, "call_1", 1));
    await until(() => r.received.length === 1);
    const got = r.received[0]!;
    const h = {
      "webhook-id": got.headers["webhook-id"] as string,
      "webhook-timestamp": got.headers["webhook-timestamp"] as string,
      "webhook-signature": got.headers["webhook-signature"] as string,
    };
    expect(h["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(cb.secret).verify(got.body, h)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(got.body, h)).not.toThrow();
  });

  it("delivers one call's events to one URL in seq order, even with slow answers and retries", async () => {
    const r = await recv((_req, n) => (n % 7 === 3 ? { status: 500 } : { status: 200 }));
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.*"] });
    const e = engine({ retrySchedule: [0, 1, 1, 1] });
    const accepted = await Promise.all(
      Array.from({ length: 60 }, (_, i) => e.accept(sipEvent(acc, "call_1", i + 1))),
    );
    expect(accepted.every((a) => a.deliveryIds.length === 1)).toBe(true);
    await until(() => e.stats().succeeded === 60, "60 deliveries");
    const seqs = r.received.map((x) => x.json.data.seq);
    // Each seq is first sent only after every lower seq finished: the first time each appears is in order.
    const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(firstSeen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
  });

  it("accepts through the bus without blocking the publisher", async () => {
    const r = await recv();
    addCallback(t.db, { accountId: acc, url: r.url, events: ["call.*"] });
    const bus = new EventBus(silentLogger);
    bus.on("event", () => {
      throw new Error("a broken listener");
    });
    engine({ bus });
    expect(() =>
      bus.publish({
        type: "call.answered",
        timestamp: new Date().toISOString(),
        data: {
          accountId: acc,
          callId: "call_9",
          seq: 4,
          call: { id: "call_9", state: "answered", from: "a", to: "b", startedAt: "" },
        },
      }),
    ).not.toThrow();
    await until(() => r.received.length === 1);
    expect(r.received[0]!.json.type).toBe("call.answered");
  });

  it("an event whose matching throws fails alone; the rest of its batch is accepted", async () => {
    addCallback(t.db, { accountId: acc, url: "http://127.0.0.1:9/hook", events: ["sip.*"] });
    const e = engine({ deliver: false });
    const spy = vi.spyOn(Matcher.prototype, "match").mockImplementationOnce(() => {
      throw new Error("SQLITE_BUSY: database is locked");
    });
    try {
      const results = await Promise.allSettled(
        [1, 2, 3].map((seq) => e.accept(sipEvent(acc, "call_m", seq))),
      );
      expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    } finally {
      spy.mockRestore();
    }
  });

  it("matches the events still queued for matching when it stops: none is lost", async () => {
    addCallback(t.db, { accountId: acc, url: "http://127.0.0.1:9/hook", events: ["sip.*"] });
    const bus = new EventBus(silentLogger);
    const e = engine({ bus, deliver: false });
    for (let seq = 1; seq <= 3; seq++) bus.publish(sipEvent(acc, "call_q", seq));
    await e.stop();
    const seqs = (await listDeliveries(store, { accountId: acc })).map((d) => d.seq);
    expect(seqs.sort()).toEqual([1, 2, 3]);
  });
});

describe("retries", () => {
  it("retries a 500 and logs every attempt with status, latency and excerpt", async () => {
    const r = await recv((_req, n) =>
      n <= 2 ? { status: 500, body: "boom ".repeat(500) } : { status: 204 },
    );
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine();
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    const id = deliveryIds[0]!;
    await untilAsync(async () => (await getDelivery(store, acc, id))?.status === "succeeded");
    const d = (await getDelivery(store, acc, id))!;
    expect(d.attempts.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    expect(d.attempts[0]!.responseExcerpt!.length).toBeLessThanOrEqual(1024);
    expect(d.attempts[0]!.error).toBe("HTTP 500");
    expect(d.attempts.every((a) => a.latencyMs >= 0)).toBe(true);
    expect(new Set(r.received.map((x) => x.headers["webhook-id"]))).toEqual(new Set([id]));
  });

  it("honours Retry-After on 429 instead of the schedule", async () => {
    const r = await recv((_req, n) =>
      n === 1 ? { status: 429, headers: { "retry-after": "0" } } : { status: 200 },
    );
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    // The scheduled retry is an hour away: only Retry-After can bring the second attempt in time.
    const e = engine({ retrySchedule: [0, 3_600_000] });
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "succeeded");
    expect(r.received).toHaveLength(2);
  });

  it("times out a receiver that never answers, then retries", async () => {
    const r = await recv((_req, n) => (n === 1 ? "hang" : { status: 200 }));
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine({ http: { totalTimeoutMs: 200 } });
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "succeeded");
    const d = (await getDelivery(store, acc, deliveryIds[0]!))!;
    expect(d.attempts[0]!.statusCode).toBeNull();
    expect(d.attempts[0]!.error).toMatch(/200 ms/);
  });

  it("disables the callback on 410 Gone", async () => {
    const r = await recv(() => ({ status: 410 }));
    const cb = addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine();
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "failed");
    expect(r.received).toHaveLength(1);
    const { callbacks } = tables(t.db);
    const row = t.db
      .select()
      .from(callbacks)
      .all()
      .find((c) => c.id === cb.id)!;
    expect(row.enabled).toBe(false);
    expect((await e.accept(sipEvent(acc, "call_1", 2))).deliveryIds).toEqual([]);
  });

  it("marks exhausted deliveries failed; replay sends again with the same webhook-id", async () => {
    let healthy = false;
    const r = await recv(() => (healthy ? { status: 200 } : { status: 503 }));
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine({ retrySchedule: [0, 1, 1] });
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    const id = deliveryIds[0]!;
    await untilAsync(async () => (await getDelivery(store, acc, id))?.status === "failed");
    expect((await getDelivery(store, acc, id))!.lastError).toMatch(/retries exhausted after 3 attempts/);
    expect((await listDeliveries(store, { accountId: acc, status: "failed" })).map((d) => d.id)).toEqual([
      id,
    ]);
    healthy = true;
    expect((await replayDelivery(store, acc, id)).ok).toBe(true);
    expect(await replayDelivery(store, "acc_other", id)).toEqual({ ok: false, code: "not_found" });
    await untilAsync(async () => (await getDelivery(store, acc, id))?.status === "succeeded");
    expect(new Set(r.received.map((x) => x.headers["webhook-id"]))).toEqual(new Set([id]));
  });
});

describe("isolation", () => {
  it("a receiver that never answers or streams forever does not block another endpoint", async () => {
    const hang = await recv(() => "hang");
    const stream = await recv(() => "stream");
    const fast = await recv();
    addCallback(t.db, { accountId: acc, url: hang.url, events: ["sip.*"] });
    addCallback(t.db, { accountId: acc, url: stream.url, events: ["sip.*"] });
    addCallback(t.db, { accountId: acc, url: fast.url, events: ["sip.*"] });
    const e = engine({
      http: { totalTimeoutMs: 60_000 },
      limits: { perEndpoint: 4, perAccount: 64, maxConcurrency: 16 },
    });
    // 40 calls: the hanging and streaming endpoints fill their 4 slots each and keep them.
    await Promise.all(Array.from({ length: 40 }, (_, i) => e.accept(sipEvent(acc, `call_${i}`, 1))));
    await until(() => fast.received.length === 40, "all 40 at the fast receiver");
    expect(hang.received.length).toBeLessThanOrEqual(4);
    // The endless stream is cut after 64 KiB (the read limit), so it does not hold its slots either.
    await until(() => stream.received.length === 40, "all 40 at the streaming receiver");
  });
});

describe("limits and redirects", () => {
  it("a tenant whose endpoint hangs uses only its own account slots; another tenant still flows", async () => {
    const hang = await recv(() => "hang");
    const fast = await recv();
    const other = seedAccount(t.db, "acc_other");
    addCallback(t.db, { accountId: acc, url: hang.url, events: ["sip.*"] });
    addCallback(t.db, { accountId: other, url: fast.url, events: ["sip.*"] });
    const e = engine({
      http: { totalTimeoutMs: 60_000 },
      limits: { perAccount: 2, perEndpoint: 16, maxConcurrency: 4 },
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => e.accept(sipEvent(acc, `call_${i}`, 1))));
    await Promise.all(Array.from({ length: 20 }, (_, i) => e.accept(sipEvent(other, `call_o${i}`, 1))));
    await until(() => fast.received.length === 20, "the other tenant's 20 deliveries");
    expect(hang.received.length).toBeLessThanOrEqual(2);
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    const target = await recv();
    const r = await recv(() => ({ status: 307, headers: { location: target.url } }));
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine({ retrySchedule: [0] });
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "failed");
    expect((await getDelivery(store, acc, deliveryIds[0]!))!.attempts[0]!.statusCode).toBe(307);
    expect(target.received).toHaveLength(0);
  });
});

describe("matching", () => {
  it("applies CEL filters; a filter that errors at run time is no match, counted", async () => {
    const r = await recv();
    addCallback(t.db, {
      accountId: acc,
      url: r.url + "?f=1",
      events: ["sip.INVITE"],
      filter: `message.direction == "received" && message.headers["x-priority"] == "high"`,
    });
    addCallback(t.db, {
      accountId: acc,
      url: r.url + "?f=2",
      events: ["sip.INVITE"],
      filter: `message.headers["x-nope"] == "1"`,
    });
    const e = engine();
    const high = await e.accept(sipEvent(acc, "call_1", 1));
    const low = sipEvent(acc, "call_1", 2);
    low.data.message.headers = { "x-priority": "low", "x-nope": "0" };
    const lowR = await e.accept(low);
    expect(high.deliveryIds).toHaveLength(1);
    expect(lowR.deliveryIds).toHaveLength(0);
    expect(e.stats().filterErrors).toBe(1);
  });

  it("matches names, classes and per-call callbacks", async () => {
    const r = await recv();
    seedCall(t.db, acc, "call_a");
    addCallback(t.db, { accountId: acc, url: r.url + "?k=4xx", events: ["sip.4xx"] });
    addCallback(t.db, { accountId: acc, url: r.url + "?k=call", events: ["sip.*"], callId: "call_a" });
    const e = engine();
    const busy = sipEvent(acc, "call_a", 1, { type: "sip.486" });
    expect((await e.accept(busy)).deliveryIds).toHaveLength(2);
    expect((await e.accept(sipEvent(acc, "call_b", 1, { type: "sip.486" }))).deliveryIds).toHaveLength(1);
    expect((await e.accept(sipEvent(acc, "call_b", 2))).deliveryIds).toHaveLength(0);
    expect((await e.accept(sipEvent("acc_other", "call_a", 3))).deliveryIds).toHaveLength(0);
  });
});

describe("SSRF at connect time", () => {
  it("refuses a loopback destination when the allow-list does not name it", async () => {
    const r = await recv();
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine({ allowlist: undefined });
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "failed");
    expect((await getDelivery(store, acc, deliveryIds[0]!))!.attempts[0]!.error).toMatch(/loopback/);
    expect(r.received).toHaveLength(0);
  });

  it("checks the resolved address of a name, so DNS rebinding to 127.0.0.1 is refused", async () => {
    const r = await recv();
    addCallback(t.db, {
      accountId: acc,
      url: `http://rebind.example:${r.port}/hook`,
      events: ["sip.INVITE"],
    });
    const e = engine({
      allowlist: undefined,
      http: { resolver: () => Promise.resolve(["93.184.216.34", "127.0.0.1"]) },
    });
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await getDelivery(store, acc, deliveryIds[0]!))?.status === "failed");
    expect((await getDelivery(store, acc, deliveryIds[0]!))!.lastError).toMatch(/rebind\.example.*loopback/);
    expect(r.received).toHaveLength(0);
  });

  it("connects to the checked address of an allow-listed CIDR", async () => {
    const r = await recv();
    addCallback(t.db, { accountId: acc, url: `http://hooks.test:${r.port}/hook`, events: ["sip.INVITE"] });
    const e = engine({ allowlist: "127.0.0.0/8", http: { resolver: () => Promise.resolve(["127.0.0.1"]) } });
    await e.accept(sipEvent(acc, "call_1", 1));
    await until(() => r.received.length === 1);
    expect(r.received[0]!.headers.host).toBe(`hooks.test:${r.port}`);
  });
});
