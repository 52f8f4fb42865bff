/**
 * The engine's storage semantics (SPEC §4: durable outbox, at least once with the same
 * `webhook-id`, seq order per call and URL, retries, 410, matching) on both dialects: a real
 * SQLite file and a real PostgreSQL, each test on a fresh database, with real HTTP receivers.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CallbackEngine, CallbackEngineOptions } from "./engine.js";
import { createCallbackEngine } from "./engine.js";
import { silentLogger } from "./logger.js";
import type { Receiver, Reply, Received } from "./test-support.js";
import { receiver, sipEvent, until, untilAsync } from "./test-support.js";
import type { DialectDb, DialectName } from "./testing/dialects.js";
import { openDialect, stopPostgres } from "./testing/dialects.js";

const engines: CallbackEngine[] = [];
const receivers: Receiver[] = [];
const dbs: DialectDb[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ deadlineMs: 100 });
  for (const r of receivers.splice(0)) await r.close();
  for (const d of dbs.splice(0)) await d.cleanup();
});
afterAll(() => stopPostgres(), 60_000);

describe.each<DialectName>(["sqlite", "postgres"])("on %s", (dialect) => {
  async function setup(): Promise<{ t: DialectDb; acc: string }> {
    const t = await openDialect(dialect);
    dbs.push(t);
    return { t, acc: await t.seedAccount() };
  }

  function engine(
    db: CallbackEngineOptions["db"],
    over: Partial<CallbackEngineOptions> = {},
  ): CallbackEngine {
    const e = createCallbackEngine({
      db,
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

  async function recv(reply?: (r: Received, n: number) => Reply): Promise<Receiver> {
    const r = await receiver(reply);
    receivers.push(r);
    return r;
  }

  const status = async (t: DialectDb, id: string) => (await t.delivery(id))?.status;

  it("POSTs the signed SPEC §4 body and records the delivery succeeded", async () => {
    const { t, acc } = await setup();
    const r = await recv();
    const cb = await t.addCallback({ accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine(t.db);
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    expect(deliveryIds).toHaveLength(1);
    await until(() => r.received.length === 1);
    const got = r.received[0]!;
    const payload = new Webhook(cb.secret).verify(got.body, {
      "webhook-id": got.headers["webhook-id"] as string,
      "webhook-timestamp": got.headers["webhook-timestamp"] as string,
      "webhook-signature": got.headers["webhook-signature"] as string,
    }) as { type: string; data: { seq: number } };
    expect(got.headers["webhook-id"]).toBe(deliveryIds[0]);
    expect(payload).toMatchObject({ type: "sip.INVITE", data: { seq: 1 } });
    await untilAsync(async () => (await status(t, deliveryIds[0]!)) === "succeeded");
    expect((await t.delivery(deliveryIds[0]!))!.leaseOwner).toBeNull();
  });

  it("sends one call's events to one URL in seq order through failures and retries", async () => {
    const { t, acc } = await setup();
    const r = await recv((_req, n) => (n % 7 === 3 ? { status: 500 } : { status: 200 }));
    await t.addCallback({ accountId: acc, url: r.url, events: ["sip.*"] });
    const e = engine(t.db, { retrySchedule: [0, 1, 1, 1] });
    const accepted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => e.accept(sipEvent(acc, "call_1", i + 1))),
    );
    expect(accepted.every((a) => a.deliveryIds.length === 1)).toBe(true);
    await until(() => e.stats().succeeded === 40, "40 deliveries");
    const seqs = r.received.map((x) => x.json.data.seq);
    const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(firstSeen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
  });

  it("retries with the same webhook-id and marks a delivery failed once retries are exhausted", async () => {
    const { t, acc } = await setup();
    const r = await recv(() => ({ status: 503 }));
    await t.addCallback({ accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine(t.db, { retrySchedule: [0, 1, 1] });
    const id = (await e.accept(sipEvent(acc, "call_1", 1))).deliveryIds[0]!;
    await untilAsync(async () => (await status(t, id)) === "failed");
    const d = (await t.delivery(id))!;
    expect(d.attemptCount).toBe(3);
    expect(d.lastError).toMatch(/retries exhausted after 3 attempts/);
    expect(r.received.map((x) => x.headers["webhook-id"])).toEqual([id, id, id]);
  });

  it("delivers what an accept-only process accepted, from another connection", async () => {
    const { t, acc } = await setup();
    const r = await recv();
    await t.addCallback({ accountId: acc, url: r.url, events: ["sip.*"] });
    const acceptor = engine(t.db, { deliver: false });
    const ids = (
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => acceptor.accept(sipEvent(acc, `call_${i % 3}`, i + 1))),
      )
    ).flatMap((a) => a.deliveryIds);
    expect(ids).toHaveLength(20);
    expect(r.received).toHaveLength(0);
    engine(await t.reopen());
    await until(
      () => new Set(r.received.map((x) => x.headers["webhook-id"])).size === 20,
      "all 20 delivered",
    );
    expect(new Set(r.received.map((x) => x.headers["webhook-id"] as string))).toEqual(new Set(ids));
  });

  it("disables the callback on 410 Gone; later events no longer match it", async () => {
    const { t, acc } = await setup();
    const r = await recv(() => ({ status: 410 }));
    const cb = await t.addCallback({ accountId: acc, url: r.url, events: ["sip.INVITE"] });
    const e = engine(t.db);
    const { deliveryIds } = await e.accept(sipEvent(acc, "call_1", 1));
    await untilAsync(async () => (await status(t, deliveryIds[0]!)) === "failed");
    await untilAsync(async () => (await t.callbackEnabled(cb.id)) === false);
    expect(r.received).toHaveLength(1);
    expect((await e.accept(sipEvent(acc, "call_1", 2))).deliveryIds).toEqual([]);
  });

  it("matches callbacks added after the account was cached, and a call's own only for that call", async () => {
    const { t, acc } = await setup();
    await t.seedCall(acc, "call_a");
    const e = engine(t.db, { deliver: false });
    expect((await e.accept(sipEvent(acc, "call_a", 1))).deliveryIds).toEqual([]);
    await t.addCallback({ accountId: acc, url: "http://127.0.0.1:9/hook", events: ["sip.INVITE"] });
    await t.addCallback({
      accountId: acc,
      url: "http://127.0.0.1:9/own",
      events: ["sip.*"],
      callId: "call_a",
    });
    await t.addCallback({ accountId: acc, url: "http://127.0.0.1:9/bye", events: ["sip.BYE"] });
    const [a, b] = await Promise.all([
      e.accept(sipEvent(acc, "call_a", 2)),
      e.accept(sipEvent(acc, "call_b", 1)),
    ]);
    expect(a.deliveryIds).toHaveLength(2);
    expect(b.deliveryIds).toHaveLength(1);
  });

  it("writes the events still waiting to be matched when it stops: none is lost", async () => {
    const { t, acc } = await setup();
    await t.addCallback({ accountId: acc, url: "http://127.0.0.1:9/hook", events: ["sip.*"] });
    const e = engine(t.db, { deliver: false });
    const pending = [1, 2, 3].map((seq) => e.accept(sipEvent(acc, "call_q", seq)));
    await e.stop();
    const ids = (await Promise.all(pending)).flatMap((a) => a.deliveryIds);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(await status(t, id)).toBe("pending");
  });
});
