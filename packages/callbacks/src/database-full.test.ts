import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fillDatabase } from "@hookline/db";
import { createCallbackEngine, type CallbackEngine } from "./engine.js";
import { silentLogger } from "./logger.js";
import type { Receiver, TestDb } from "./test-support.js";
import { addCallback, receiver, seedAccount, seedCall, sipEvent, tempDb, until } from "./test-support.js";

let t: TestDb;
let engine: CallbackEngine;
let r: Receiver;

beforeEach(async () => {
  t = tempDb();
  r = await receiver();
});

afterEach(async () => {
  await engine?.stop({ deadlineMs: 100 });
  await r.close();
  t.cleanup();
});

describe("a database that cannot write (full disk)", () => {
  it("keeps events of calls in progress and accepts and delivers them, in order, once space returns", async () => {
    const acc = seedAccount(t.db);
    seedCall(t.db, acc, "call_1");
    addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.*"] });
    engine = createCallbackEngine({
      db: t.db,
      allowlist: "127.0.0.1",
      logger: silentLogger,
      pollIntervalMs: 50,
      groupCommit: { retryMs: 20 },
    });
    engine.start();
    const { room } = fillDatabase(t);
    let accepted = 0;
    const results = Array.from({ length: 20 }, (_, i) =>
      engine.accept(sipEvent(acc, "call_1", i + 1)).then((res) => {
        accepted++;
        return res;
      }),
    );
    await until(() => !t.health.writable);
    // Refused and retried a few times: nothing accepted, nothing sent, nothing failed.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(accepted).toBe(0);
    expect(r.received).toHaveLength(0);
    room();
    const ids = (await Promise.all(results)).flatMap((res) => res.deliveryIds);
    expect(ids).toHaveLength(20);
    await until(() => r.received.length === 20);
    const seqs = r.received.map((m) => (JSON.parse(m.body) as { data: { seq: number } }).data.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
