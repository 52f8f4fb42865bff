/**
 * Claims on a real PostgreSQL (SPEC §4 across delivery nodes): only lane heads, one node per
 * lane, an expired lease claimable by anyone, a result written only by the lease's holder.
 */
import { afterAll, afterEach, expect, it } from "vitest";
import type { PgDatabase } from "@hookline/db/pg";
import { createCallbackEngine } from "../engine.js";
import { silentLogger } from "../logger.js";
import { receiver, sipEvent, until, untilAsync } from "../test-support.js";
import type { DialectDb } from "../testing/dialects.js";
import { openDialect, stopPostgres } from "../testing/dialects.js";
import type { ClaimedDelivery } from "./callback-store.js";
import { createPgStore } from "./pg-store.js";

let t: DialectDb | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});
afterAll(() => stopPostgres(), 60_000);

/** A fresh database with `perCall` events accepted for each of `calls` calls, one callback. */
async function accepted(calls: number, perCall: number): Promise<PgDatabase> {
  t = await openDialect("postgres");
  const acc = await t.seedAccount();
  await t.addCallback({ accountId: acc, url: "http://127.0.0.1:9/hook", events: ["sip.*"] });
  const e = createCallbackEngine({ db: t.db, logger: silentLogger, deliver: false });
  e.start();
  const events = [];
  for (let seq = 1; seq <= perCall; seq++)
    for (let c = 0; c < calls; c++) events.push(sipEvent(acc, `call_${c}`, seq));
  await Promise.all(events.map((ev) => e.accept(ev)));
  await e.stop();
  return t.db as PgDatabase;
}

const lanes = (claimed: ClaimedDelivery[]) => claimed.map((d) => `${d.callId}#${d.seq}`).sort();
const ok = { status: 200, headers: {}, latencyMs: 1, body: "", error: null, errorCode: null };

it("claims lane heads only; a leased head keeps its lane from every other node until the lease expires", async () => {
  const db = await accepted(2, 3);
  const a = createPgStore(db, { logger: silentLogger, node: "node-a", leaseMs: 1000 });
  const b = createPgStore(db, { logger: silentLogger, node: "node-b", leaseMs: 1000 });
  if (a.deliveries.kind !== "leased" || b.deliveries.kind !== "leased") throw new Error("not leased");
  const now = Date.now();
  const first = await a.deliveries.claim(10, now);
  expect(lanes(first)).toEqual(["call_0#1", "call_1#1"]);
  expect(first.every((d) => d.body.includes('"seq":1') && d.callback?.enabled)).toBe(true);
  expect(await b.deliveries.claim(10, now + 500)).toEqual([]);

  // Expired: anyone's, with the same delivery ids (webhook-id).
  const taken = await b.deliveries.claim(10, now + 1001);
  expect(taken.map((d) => d.id).sort()).toEqual(first.map((d) => d.id).sort());

  // node-a's late result is not written: node-b holds the lease now.
  const late = first.find((d) => d.callId === "call_0")!;
  a.recordAttempt(late, 1, now, ok, "succeeded", null);
  await a.flush();
  expect((await t!.delivery(late.id))!.status).toBe("pending");

  // node-b's result clears its lease: the lane's next seq becomes claimable.
  b.recordAttempt(late, 1, now, ok, "succeeded", null);
  await b.flush();
  expect(await t!.delivery(late.id)).toMatchObject({ status: "succeeded", leaseOwner: null });
  expect(lanes(await a.deliveries.claim(10, Date.now()))).toEqual(["call_0#2"]);

  // A lease given back is claimable at once.
  const other = taken.find((d) => d.callId === "call_1")!;
  await b.deliveries.release([other.id]);
  expect(lanes(await a.deliveries.claim(10, Date.now()))).toEqual(["call_1#1"]);
});

it("nodes claiming at the same moment never get the same lane", async () => {
  const db = await accepted(20, 2);
  const stores = ["n1", "n2", "n3"].map((node) => createPgStore(db, { logger: silentLogger, node }));
  const now = Date.now();
  const claims = await Promise.all(
    stores.map((s) => (s.deliveries.kind === "leased" ? s.deliveries.claim(20, now) : Promise.resolve([]))),
  );
  const all = claims.flat();
  expect(all.every((d) => d.seq === 1)).toBe(true);
  expect(new Set(all.map((d) => d.callId)).size).toBe(all.length);
  expect(all).toHaveLength(20);
});

it("a delivery node that polls once a minute is woken by another process's accepted events (LISTEN/NOTIFY)", async () => {
  t = await openDialect("postgres");
  const acc = await t.seedAccount();
  const r = await receiver();
  try {
    await t.addCallback({ accountId: acc, url: r.url, events: ["sip.*"] });
    const deliverer = createCallbackEngine({
      db: await t.reopen(),
      allowlist: "127.0.0.1",
      logger: silentLogger,
      pollIntervalMs: 60_000,
    });
    deliverer.start();
    const acceptor = createCallbackEngine({ db: t.db, logger: silentLogger, deliver: false });
    acceptor.start();
    try {
      // The deliverer's LISTEN is in place (its connection's last statement).
      const pool = (t.db as PgDatabase).$client;
      await untilAsync(async () => {
        const { rows } = await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN hookline_deliveries'",
        );
        return rows[0]!.n === 1;
      }, "the deliverer listening");
      const { deliveryIds } = await acceptor.accept(sipEvent(acc, "call_n", 1));
      await until(() => r.received.length === 1, "delivered before the next poll");
      expect(r.received[0]!.headers["webhook-id"]).toBe(deliveryIds[0]);
    } finally {
      await acceptor.stop();
      await deliverer.stop({ deadlineMs: 100 });
    }
  } finally {
    await r.close();
  }
});
