/**
 * Callbacks on several delivery nodes sharing one real PostgreSQL (SPEC §4): two delivery
 * processes and one accepting process, a real HTTP receiver on 127.0.0.1. Every accepted event
 * arrives (at least once, one webhook-id each), per call and URL in seq order; `kill -9` of a
 * delivery node mid-stream loses nothing: its leases expire and the other node delivers the rest.
 */
import type { ChildProcessByStdio } from "node:child_process";
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { openPostgres, type OpenedPostgres } from "@hookline/db/pg";
import { afterAll, afterEach, expect, it } from "vitest";
import type { Receiver } from "./test-support.js";
import { receiver, until, untilAsync } from "./test-support.js";
import { openDialect, stopPostgres } from "./testing/dialects.js";

const script = fileURLToPath(new URL("./testing/pg-node.ts", import.meta.url));
type Child = ChildProcessByStdio<null, Readable, null>;
const children: Child[] = [];
let r: Receiver | undefined;
let pgdb: OpenedPostgres | undefined;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await r?.close();
  await pgdb?.close();
});
afterAll(() => stopPostgres(), 60_000);

/** Starts a node; `lines` gets each JSON line it prints. */
function node(args: string[], lines: (o: Record<string, unknown>) => void): Child {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  let buf = "";
  child.stdout.on("data", (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      lines(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  return child;
}

it("two delivery nodes and an accepting one: every event once or more, in seq order; kill -9 of one loses nothing", async () => {
  const t = await openDialect("postgres");
  const url = t.url!;
  const acc = await t.seedAccount();
  // While `hold` is on, requests are answered only at `release`: the node killed below then has
  // attempts in flight (and their leases) when it dies, whatever the machine's speed.
  let hold = false;
  let release = () => {};
  const gate = new Promise<void>((res) => (release = res));
  r = await receiver(() => (hold ? { status: 200, until: gate } : { status: 200, delayMs: 10 }));
  await t.addCallback({ accountId: acc, url: r.url, events: ["sip.*"] });
  await t.cleanup();
  pgdb = await openPostgres({ url, max: 2 });

  const attempts = new Map<string, number>();
  const ready = new Set<string>();
  const onLine = (o: Record<string, unknown>) => {
    if (o.ready) ready.add(o.node as string);
    if (typeof o.attempt === "string") {
      attempts.set(o.node as string, (attempts.get(o.node as string) ?? 0) + 1);
    }
  };
  // A short lease so the dead node's deliveries come back soon; above the HTTP total timeout, which
  // is above the time requests are held below.
  const nodes = {
    a: node(["deliver", url, "node-a", "15000", "10000"], onLine),
    b: node(["deliver", url, "node-b", "15000", "10000"], onLine),
  };
  await until(() => ready.size === 2, "both delivery nodes ready");

  let accepted: string[] = [];
  node(["accept", url, acc, "320", "10"], (o) => {
    if (Array.isArray(o.ids)) accepted = o.ids as string[];
  });
  await until(() => accepted.length === 320, "320 events accepted");
  await until(
    () => r!.received.length >= 100 && (attempts.get("node-a") ?? 0) > 0 && (attempts.get("node-b") ?? 0) > 0,
    "both nodes delivering",
  );

  // Hold the answers until a node has an attempt in flight; kill that node.
  const holdAt = Date.now();
  hold = true;
  const heldOwner = async () => {
    const held = r!.received.filter((x) => x.at >= holdAt).map((x) => x.headers["webhook-id"] as string);
    const { rows } = await pgdb!.pool.query<{ lease_owner: string }>(
      `SELECT DISTINCT lease_owner FROM deliveries
       WHERE id = ANY($1::text[]) AND status = 'pending' AND lease_owner IS NOT NULL`,
      [held],
    );
    return rows[0]?.lease_owner;
  };
  let victim: string | undefined;
  await untilAsync(async () => (victim = await heldOwner()) !== undefined, "a held attempt");
  const proc = victim === "node-a" ? nodes.a : nodes.b;
  const exited = new Promise((res) => proc.once("exit", res));
  proc.kill("SIGKILL");
  await exited;
  const receivedAtKill = r.received.length;
  const { rows } = await pgdb.pool.query<{ id: string }>(
    "SELECT id FROM deliveries WHERE lease_owner = $1 AND status = 'pending'",
    [victim],
  );
  const leasedByVictim = new Set(rows.map((x) => x.id));
  hold = false;
  release();
  expect(leasedByVictim.size).toBeGreaterThan(0);
  expect(receivedAtKill).toBeLessThan(320);

  const ids = () => r!.received.map((x) => x.headers["webhook-id"] as string);
  await until(
    () => {
      const got = new Set(ids());
      return accepted.every((id) => got.has(id));
    },
    "every accepted event delivered",
    12_000,
  ); // the dead node's leases run out first
  await untilAsync(async () => {
    const { rows: left } = await pgdb!.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM deliveries WHERE status <> 'succeeded'",
    );
    return left[0]!.n === 0;
  }, "every delivery recorded succeeded");

  // Nothing but accepted ids arrived; the dead node's leased deliveries came after its death.
  const counts = new Map<string, number>();
  for (const id of ids()) counts.set(id, (counts.get(id) ?? 0) + 1);
  expect([...counts.keys()].every((id) => accepted.includes(id))).toBe(true);
  const after = new Set(r.received.slice(receivedAtKill).map((x) => x.headers["webhook-id"] as string));
  for (const id of leasedByVictim) expect(after.has(id)).toBe(true);
  // At least once: duplicates only for what the dead node held.
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  for (const id of duplicates) expect(leasedByVictim.has(id)).toBe(true);
  console.log(
    `cluster: ${r.received.length} requests for 320 events, ${duplicates.length} duplicates, ` +
      `${leasedByVictim.size} leases held by the killed ${victim!}`,
  );

  // Per call (one URL): first arrivals in seq order, and no arrival of a lower seq after a higher one.
  const byCall = new Map<string, number[]>();
  for (const x of r.received) {
    const list = byCall.get(x.json.data.callId) ?? [];
    list.push(x.json.data.seq);
    byCall.set(x.json.data.callId, list);
  }
  expect(byCall.size).toBe(10);
  for (const seqs of byCall.values()) {
    const first = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(first).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
  }
}, 180_000);
