import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import type { CallbackEngine } from "./engine.js";
import { createCallbackEngine } from "./engine.js";
import { silentLogger } from "./logger.js";
import type { Receiver, TestDb } from "./test-support.js";
import { addCallback, receiver, seedAccount, tempDb, until } from "./test-support.js";

const child = fileURLToPath(new URL("./testing/engine-child.ts", import.meta.url));
let t: TestDb | undefined;
let r: Receiver | undefined;
let engine: CallbackEngine | undefined;

afterEach(async () => {
  await engine?.stop({ deadlineMs: 100 });
  await r?.close();
  t?.cleanup();
});

it("kill -9 mid-delivery: a new engine on the same file delivers every accepted event", async () => {
  t = tempDb();
  const acc = seedAccount(t.db);
  // A slow receiver, so hundreds of deliveries are still pending (and some in flight) at the kill.
  const slow = { on: true };
  r = await receiver(() => (slow.on ? "hang" : { status: 200 }));
  addCallback(t.db, { accountId: acc, url: r.url, events: ["sip.*"] });

  const proc = spawn(process.execPath, ["--import", "tsx", child, t.file, acc, "400", "0", "50"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const accepted: string[] = [];
  let buf = "";
  proc.stdout.on("data", (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      accepted.push(...(JSON.parse(buf.slice(0, nl)) as { ids: string[] }).ids);
      buf = buf.slice(nl + 1);
    }
  });
  await until(
    () => accepted.length === 400 && r!.received.length > 0,
    "child accepted 400 and started delivering",
  );
  const exited = new Promise((res) => proc.once("exit", res));
  proc.kill("SIGKILL");
  await exited;
  const inFlightAtKill = new Set(r.received.map((x) => x.headers["webhook-id"]));
  expect(inFlightAtKill.size).toBeGreaterThan(0);

  slow.on = false;
  engine = createCallbackEngine({
    db: t.db,
    allowlist: "127.0.0.1",
    logger: silentLogger,
    retrySchedule: [0, 10, 10],
  });
  engine.start();
  const ids = () => new Set(r!.received.map((x) => x.headers["webhook-id"] as string));
  await until(() => accepted.every((id) => ids().has(id)), "every accepted event delivered");
  // At least once: the ones in flight at the kill came again, with the same webhook-id.
  const counts = new Map<string, number>();
  for (const x of r.received)
    counts.set(x.headers["webhook-id"] as string, (counts.get(x.headers["webhook-id"] as string) ?? 0) + 1);
  for (const id of inFlightAtKill) expect(counts.get(id as string)).toBeGreaterThanOrEqual(2);
  expect(new Set(accepted).size).toBe(400);
  expect([...ids()].every((id) => accepted.includes(id))).toBe(true);
});
