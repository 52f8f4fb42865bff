import { afterEach, expect, it } from "vitest";
import type { CallbackEngine } from "./engine.js";
import { createCallbackEngine } from "./engine.js";
import { silentLogger } from "./logger.js";
import type { Receiver, TestDb } from "./test-support.js";
import { addCallback, receiver, seedAccount, sipEvent, tempDb, until } from "./test-support.js";

let t: TestDb | undefined;
let r: Receiver | undefined;
let e: CallbackEngine | undefined;
afterEach(async () => {
  await e?.stop({ deadlineMs: 100 });
  await r?.close();
  t?.cleanup();
});

it("an endpoint that keeps failing trips its breaker; nothing more is sent while it is open", async () => {
  t = tempDb();
  const acc = seedAccount(t.db);
  r = await receiver(() => ({ status: 500 }));
  addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.*"] });
  e = createCallbackEngine({
    db: t.db,
    allowlist: "127.0.0.1",
    logger: silentLogger,
    retrySchedule: [0, 1, 1, 1, 1, 1],
    limits: { perEndpoint: 1 },
    breaker: {
      minRequests: 4,
      failureRate: 0.5,
      windowMs: 60_000,
      openMs: 3_600_000,
    },
  });
  e.start();
  await Promise.all(Array.from({ length: 10 }, (_, i) => e!.accept(sipEvent(acc, `call_${i}`, 1))));
  // Four failures open the breaker; with an hour to wait, nothing more is sent.
  await until(() => e!.stats().attempts === 4 && e!.stats().inFlight === 0, "breaker open");
  await new Promise((res) => setTimeout(res, 100));
  expect(r.received).toHaveLength(4);
  expect(e.stats().pending).toBe(10);
});

it("after openMs the breaker lets one probe through; its success closes it and the rest flow", async () => {
  t = tempDb();
  const acc = seedAccount(t.db);
  r = await receiver((_req, n) => (n <= 4 ? { status: 500 } : { status: 200 }));
  addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.*"] });
  e = createCallbackEngine({
    db: t.db,
    allowlist: "127.0.0.1",
    logger: silentLogger,
    retrySchedule: [0, 1, 1, 1, 1, 1],
    limits: { perEndpoint: 1 },
    breaker: { minRequests: 4, failureRate: 0.5, windowMs: 60_000, openMs: 30 },
  });
  e.start();
  await Promise.all(Array.from({ length: 10 }, (_, i) => e!.accept(sipEvent(acc, `call_${i}`, 1))));
  await until(() => e!.stats().succeeded === 10, "all delivered after the probe");
  expect(e.stats().failed).toBe(0);
});
