/**
 * The REST API's reads and replays of deliveries (SPEC §4: a replay keeps the delivery's id, so
 * the same `webhook-id`) on both dialects, each test on a fresh database.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq, type Store } from "@hookline/db";
import { DIALECTS, openTestStore, stopPostgres, type TestStore } from "@hookline/db/testing/stores";
import type { DeliveryRow, DeliveryStatusName } from "./delivery-store.js";
import {
  enqueueDelivery,
  getDelivery,
  listDeliveries,
  replayDeadLetters,
  replayDelivery,
} from "./delivery-store.js";
import { addCallback, seedAccount } from "./testing/dialects.js";

afterAll(() => stopPostgres(), 60_000);

interface Seeded {
  id: string;
  status?: DeliveryStatusName;
  createdAt: number;
  callId?: string | null;
  completedAt?: number | null;
  lastError?: string | null;
}

describe.each(DIALECTS)("delivery store on %s", (dialect) => {
  let opened: TestStore | undefined;
  let store: Store;
  let acc: string;
  let other: string;
  let cb: string;
  let otherCb: string;

  beforeEach(async () => {
    opened = await openTestStore(dialect);
    store = opened.store;
    acc = await seedAccount(store, "acc_a");
    other = await seedAccount(store, "acc_b");
    cb = (await addCallback(store, { accountId: acc, url: "https://a.example/", events: ["sip.*"] })).id;
    otherCb = (await addCallback(store, { accountId: other, url: "https://b.example/", events: ["sip.*"] }))
      .id;
  });
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });

  /** One outbox event and its delivery to `callbackId`, in the state given. */
  async function seed(s: Seeded, accountId = acc, callbackId = cb): Promise<void> {
    const { db, t } = store;
    const status = s.status ?? "pending";
    await db.insert(t.outboxEvents).values({
      id: `evt_${s.id}`,
      accountId,
      callId: s.callId ?? null,
      seq: 1,
      type: "sip.INVITE",
      body: JSON.stringify({ type: "sip.INVITE", data: { n: s.id } }),
      createdAt: s.createdAt,
    });
    await db.insert(t.deliveries).values({
      id: s.id,
      eventId: `evt_${s.id}`,
      callbackId,
      accountId,
      callId: s.callId ?? null,
      seq: 1,
      eventType: "sip.INVITE",
      status,
      attemptCount: status === "pending" ? 0 : 1,
      nextAttemptAt: status === "pending" ? s.createdAt : null,
      createdAt: s.createdAt,
      completedAt:
        s.completedAt !== undefined ? s.completedAt : status === "pending" ? null : s.createdAt + 1,
      lastError: s.lastError ?? (status === "failed" ? "HTTP 500" : null),
    });
  }

  const row = async (id: string): Promise<DeliveryRow | undefined> =>
    (await store.db.select().from(store.t.deliveries).where(eq(store.t.deliveries.id, id)))[0];

  describe("listDeliveries", () => {
    it("lists the account's deliveries newest first, filtered and paged", async () => {
      await seed({ id: "dlv_1", createdAt: 100, status: "succeeded", callId: "call_1" });
      await seed({ id: "dlv_2", createdAt: 200, status: "failed", callId: "call_1" });
      await seed({ id: "dlv_3", createdAt: 300, callId: "call_2" });
      await seed({ id: "dlv_3b", createdAt: 300, callId: "call_2" });
      await seed({ id: "dlv_x", createdAt: 250 }, other, otherCb);
      const ids = async (q: Omit<Parameters<typeof listDeliveries>[1], "accountId">) =>
        (await listDeliveries(store, { accountId: acc, ...q })).map((d) => d.id);
      // Same createdAt: the id breaks the tie, newest (greatest) first.
      expect(await ids({})).toEqual(["dlv_3b", "dlv_3", "dlv_2", "dlv_1"]);
      expect(await ids({ status: "failed" })).toEqual(["dlv_2"]);
      expect(await ids({ callId: "call_1" })).toEqual(["dlv_2", "dlv_1"]);
      expect(await ids({ callbackId: otherCb })).toEqual([]);
      expect(await ids({ callbackId: cb, before: 300 })).toEqual(["dlv_2", "dlv_1"]);
      expect(await ids({ limit: 2 })).toEqual(["dlv_3b", "dlv_3"]);
      // The limit is clamped to 1..500.
      expect(await ids({ limit: 0 })).toEqual(["dlv_3b"]);
      expect((await listDeliveries(store, { accountId: other })).map((d) => d.id)).toEqual(["dlv_x"]);
    });
  });

  describe("getDelivery", () => {
    it("returns the delivery with its event's body and its attempts in order, only to its account", async () => {
      await seed({ id: "dlv_1", createdAt: 100, status: "failed" });
      await store.db.insert(store.t.deliveryAttempts).values([
        { id: "att_2", deliveryId: "dlv_1", attempt: 2, startedAt: 20, latencyMs: 5, statusCode: 500 },
        { id: "att_1", deliveryId: "dlv_1", attempt: 1, startedAt: 10, latencyMs: 7, statusCode: 503 },
      ]);
      const d = await getDelivery(store, acc, "dlv_1");
      expect(d).toMatchObject({
        id: "dlv_1",
        status: "failed",
        event: { id: "evt_dlv_1", type: "sip.INVITE", body: { type: "sip.INVITE", data: { n: "dlv_1" } } },
      });
      expect(d?.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, 503],
        [2, 500],
      ]);
      expect(await getDelivery(store, other, "dlv_1")).toBeNull();
      expect(await getDelivery(store, acc, "dlv_none")).toBeNull();
    });
  });

  describe("replayDelivery", () => {
    it("puts a finished delivery back to pending under the same id", async () => {
      await seed({ id: "dlv_f", createdAt: 100, status: "failed" });
      await seed({ id: "dlv_s", createdAt: 100, status: "succeeded" });
      const before = Date.now();
      const r = await replayDelivery(store, acc, "dlv_f");
      if (!r.ok) throw new Error(r.code);
      expect(r.delivery).toMatchObject({
        id: "dlv_f",
        status: "pending",
        completedAt: null,
        lastError: null,
      });
      expect(r.delivery.nextAttemptAt).toBeGreaterThanOrEqual(before);
      expect(await row("dlv_f")).toEqual(r.delivery);
      expect((await replayDelivery(store, acc, "dlv_s")).ok).toBe(true);
      expect((await row("dlv_s"))?.status).toBe("pending");
    });

    it("refuses a delivery that is still pending (a conflict) and leaves it as it was", async () => {
      await seed({ id: "dlv_p", createdAt: 100 });
      const was = await row("dlv_p");
      expect(await replayDelivery(store, acc, "dlv_p")).toEqual({ ok: false, code: "pending" });
      expect(await row("dlv_p")).toEqual(was);
      // Replayed once, it is pending: a second replay is the same conflict.
      await seed({ id: "dlv_f", createdAt: 100, status: "failed" });
      expect((await replayDelivery(store, acc, "dlv_f")).ok).toBe(true);
      expect(await replayDelivery(store, acc, "dlv_f")).toEqual({ ok: false, code: "pending" });
    });

    it("answers not_found for another account's delivery and an unknown id, changing nothing", async () => {
      await seed({ id: "dlv_f", createdAt: 100, status: "failed" });
      const was = await row("dlv_f");
      expect(await replayDelivery(store, other, "dlv_f")).toEqual({ ok: false, code: "not_found" });
      expect(await replayDelivery(store, acc, "dlv_none")).toEqual({ ok: false, code: "not_found" });
      expect(await row("dlv_f")).toEqual(was);
    });
  });

  describe("replayDeadLetters", () => {
    it("replays the failed deliveries of the account, or of one callback, and counts them", async () => {
      const cb2 = (await addCallback(store, { accountId: acc, url: "https://c.example/", events: ["sip.*"] }))
        .id;
      await seed({ id: "dlv_f1", createdAt: 100, status: "failed" });
      await seed({ id: "dlv_f2", createdAt: 110, status: "failed" }, acc, cb2);
      await seed({ id: "dlv_s", createdAt: 120, status: "succeeded" });
      await seed({ id: "dlv_p", createdAt: 130 });
      await seed({ id: "dlv_xf", createdAt: 140, status: "failed" }, other, otherCb);
      expect(await replayDeadLetters(store, acc, cb2)).toBe(1);
      expect((await row("dlv_f2"))?.status).toBe("pending");
      expect((await row("dlv_f1"))?.status).toBe("failed");
      expect(await replayDeadLetters(store, acc)).toBe(1);
      expect(await row("dlv_f1")).toMatchObject({ status: "pending", completedAt: null, lastError: null });
      expect((await row("dlv_s"))?.status).toBe("succeeded");
      expect((await row("dlv_xf"))?.status).toBe("failed");
      expect(await replayDeadLetters(store, acc)).toBe(0);
    });
  });

  describe("enqueueDelivery", () => {
    it("writes the event and a pending delivery to that callback together", async () => {
      const event = { type: "sip.INVITE", timestamp: "2026-01-01T00:00:00.000Z", data: { test: true } };
      const d = await enqueueDelivery(store, { accountId: acc, callbackId: cb, event }, 5_000);
      expect(d).toMatchObject({
        callbackId: cb,
        accountId: acc,
        status: "pending",
        attemptCount: 0,
        nextAttemptAt: 5_000,
        createdAt: 5_000,
        eventType: "sip.INVITE",
      });
      expect(d.id).toMatch(/^dlv_/);
      expect((await getDelivery(store, acc, d.id))?.event).toEqual({
        id: d.eventId,
        type: "sip.INVITE",
        body: event,
      });
    });

    it("writes nothing when the delivery cannot be written (one transaction)", async () => {
      const event = { type: "sip.INVITE", timestamp: "2026-01-01T00:00:00.000Z", data: {} };
      await expect(
        enqueueDelivery(store, { accountId: acc, callbackId: "cb_missing", event }),
      ).rejects.toThrow();
      expect(await store.db.select().from(store.t.outboxEvents)).toEqual([]);
      expect(await store.db.select().from(store.t.deliveries)).toEqual([]);
    });
  });
});
