/**
 * Callback deliveries per second with one and with two delivery nodes on PostgreSQL, and one node
 * on SQLite, in one run (SPEC §4). For each case: a fresh database (a throwaway PostgreSQL
 * cluster from startPostgres, or a SQLite file), one account with one callback to a receiver on
 * 127.0.0.1 (this process, answering 200 at once), BENCH_CB_EVENTS events over BENCH_CB_CALLS
 * calls accepted beforehand by an accept-only process, then the delivery node processes are told
 * to start together; the rate is deliveries over the time from that moment to the last first
 * arrival. Every webhook-id must arrive; duplicates are counted. Bounded: < 2 min.
 * Not a test: `npm run bench:callbacks -w @hookline/bench`.
 *
 * Options (environment): BENCH_CB_EVENTS (3000), BENCH_CB_CALLS (100).
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { accounts, callbacks, openDatabase } from "@hookline/db";
import { openPostgres, pgSchema } from "@hookline/db/pg";
import { startPostgres } from "@hookline/db/testing/postgres";

const EVENTS = Number(process.env.BENCH_CB_EVENTS ?? 3000);
const CALLS = Number(process.env.BENCH_CB_CALLS ?? 100);
const CASE_TIMEOUT_MS = 35_000;
const script = fileURLToPath(new URL("./node.ts", import.meta.url));
type Child = ChildProcessByStdio<Writable, Readable, null>;

interface Result {
  name: string;
  nodes: number;
  deliveries: number;
  seconds: number;
  duplicates: number;
  /** The delivery processes' CPU time (user + system) per delivery; PostgreSQL's own is not in it. */
  cpuMsPerDelivery: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const seen = new Map<string, number>();
  let firstArrivals = 0;
  let lastFirstArrivalAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = req.headers["webhook-id"] as string;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      if (n === 1) {
        firstArrivals++;
        lastFirstArrivalAt = performance.now();
      }
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const cluster = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), "hookline-bench-cb-"));
  const results: Result[] = [];
  try {
    const cases: Array<{ name: string; nodes: number; db: () => Promise<string> }> = [
      { name: "sqlite, 1 node", nodes: 1, db: () => Promise.resolve(seedSqlite(join(dir, "bench.db"), url)) },
      { name: "postgres, 1 node", nodes: 1, db: () => seedPostgres(cluster.url, "one", url) },
      { name: "postgres, 2 nodes", nodes: 2, db: () => seedPostgres(cluster.url, "two", url) },
    ];
    for (const c of cases) {
      seen.clear();
      firstArrivals = 0;
      const target = await c.db();
      const accepted = await acceptAll(target);
      if (accepted !== EVENTS) throw new Error(`${c.name}: accepted ${accepted} of ${EVENTS}`);
      const nodes = Array.from({ length: c.nodes }, (_, i) =>
        spawnNode(["deliver", target, `node-${i + 1}`]),
      );
      try {
        await Promise.all(nodes.map((n) => n.ready));
        const t0 = performance.now();
        for (const n of nodes) n.child.stdin.write("go\n");
        const deadline = Date.now() + CASE_TIMEOUT_MS;
        while (firstArrivals < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        if (firstArrivals < EVENTS)
          throw new Error(`${c.name}: ${firstArrivals} of ${EVENTS} arrived in time`);
        const seconds = (lastFirstArrivalAt - t0) / 1000;
        const duplicates = [...seen.values()].reduce((n, k) => n + k - 1, 0);
        const cpu = await Promise.all(
          nodes.map(
            (n) =>
              new Promise<number>((resolve) => {
                n.child.once("cpu", resolve);
                n.child.stdin.write("cpu\n");
              }),
          ),
        );
        const cpuMsPerDelivery = cpu.reduce((a, b) => a + b, 0) / EVENTS;
        results.push({
          name: c.name,
          nodes: c.nodes,
          deliveries: EVENTS,
          seconds,
          duplicates,
          cpuMsPerDelivery,
        });
      } finally {
        for (const n of nodes) n.child.kill("SIGKILL");
      }
    }
  } finally {
    server.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  report(results, (Date.now() - started) / 1000);
}

function seedSqlite(file: string, url: string): string {
  const { db, close } = openDatabase({ file });
  const now = Date.now();
  db.insert(accounts).values({ id: "acc_bench", name: "bench", createdAt: now }).run();
  db.insert(callbacks)
    .values({
      id: "cb_bench",
      accountId: "acc_bench",
      url,
      events: ["sip.*"],
      secret: "whsec_YmVuY2hiZW5jaGJlbmNoYmVuY2g=",
      createdAt: now,
      updatedAt: now,
    })
    .run();
  close();
  return file;
}

async function seedPostgres(clusterUrl: string, name: string, url: string): Promise<string> {
  const admin = await openPostgres({ url: clusterUrl, max: 1, migrate: false });
  await admin.pool.query(`CREATE DATABASE bench_${name}`);
  await admin.close();
  const target = new URL(clusterUrl);
  target.pathname = `/bench_${name}`;
  const { db, close } = await openPostgres({ url: target.toString(), max: 1 });
  const now = Date.now();
  await db.insert(pgSchema.accounts).values({ id: "acc_bench", name: "bench", createdAt: now });
  await db.insert(pgSchema.callbacks).values({
    id: "cb_bench",
    accountId: "acc_bench",
    url,
    events: ["sip.*"],
    secret: "whsec_YmVuY2hiZW5jaGJlbmNoYmVuY2g=",
    createdAt: now,
    updatedAt: now,
  });
  await close();
  return target.toString();
}

function spawnNode(args: string[]): { child: Child; ready: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let buf = "";
  let onReady = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on("data", (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const o = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      if (o.ready) onReady();
      if (typeof o.accepted === "number") child.emit("accepted", o.accepted);
      if (typeof o.cpuMs === "number") child.emit("cpu", o.cpuMs);
    }
  });
  return { child, ready };
}

function acceptAll(target: string): Promise<number> {
  const { child } = spawnNode(["accept", target, "acc_bench", String(EVENTS), String(CALLS)]);
  return new Promise((resolve, reject) => {
    child.once("accepted", (n: number) => resolve(n));
    child.once("exit", (code) =>
      code === 0 ? undefined : reject(new Error(`accept process exited ${code}`)),
    );
  });
}

function report(results: Result[], totalSeconds: number): void {
  const rate = (r: Result) => r.deliveries / r.seconds;
  console.log(`\ncallback deliveries/s, ${EVENTS} events over ${CALLS} calls (lanes), receiver on 127.0.0.1`);
  console.log("case                 nodes  deliveries/s  seconds  duplicates  node CPU ms/delivery");
  for (const r of results) {
    console.log(
      [
        r.name.padEnd(20),
        String(r.nodes).padStart(5),
        rate(r).toFixed(0).padStart(12),
        r.seconds.toFixed(2).padStart(7),
        String(r.duplicates).padStart(10),
        r.cpuMsPerDelivery.toFixed(3).padStart(20),
      ].join(" "),
    );
  }
  const [sqlite, one, two] = results;
  if (sqlite && one && two) {
    console.log(
      `ratios: pg 2 nodes / pg 1 node = ${(rate(two) / rate(one)).toFixed(2)}, pg 1 node / sqlite = ${(rate(one) / rate(sqlite)).toFixed(2)}`,
    );
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; whole run ${totalSeconds.toFixed(0)} s`,
  );
}

await main();
