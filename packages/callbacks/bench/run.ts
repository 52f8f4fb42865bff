/**
 * Callback engine benchmark (not a test): `npm run bench -w @hookline/callbacks`.
 * 1. Offer 1,000 events/s for 30 s to a local receiver; `kill -9` the engine process halfway and
 *    start a new one on the same file, which recovers the outbox and offers the second half.
 *    Prints accepted/s, delivered/s, event→first-attempt latency p50/p99, events lost.
 * 2. The same with the naive baseline (fetch once per event, no outbox).
 * 3. Saturation: 20,000 events offered at once, deliveries/s for each.
 * Knobs: BENCH_RATE, BENCH_SECONDS, BENCH_BURST (0 skips 3), BENCH_MODES (engine,naive),
 * BENCH_LOOP_STATS=1 (children print event-loop delay to stderr), BENCH_CPU_PROF=<dir> (engine
 * children run with `node --cpu-prof`; the last process of each phase ends with SIGTERM instead of
 * SIGKILL so it writes its profile — the halfway kill stays a kill -9).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { addCallback, seedAccount, tempDb } from "../src/test-support.js";

const RATE = Number(process.env["BENCH_RATE"] ?? 1000);
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 30);
const BURST = Number(process.env["BENCH_BURST"] ?? 20_000);
const MODES = (process.env["BENCH_MODES"] ?? "engine,naive").split(",") as ("engine" | "naive")[];
const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));
const CPU_PROF = process.env["BENCH_CPU_PROF"];

interface Arrival {
  first: number;
  latency: number;
  count: number;
  /** The event's own timestamp (ms). */
  ts: number;
}
/** Latency is also reported without each engine process's first seconds (JIT and pool warm-up). */
const WARMUP_MS = 2000;
const arrivals = new Map<string, Arrival>();
let lastArrival = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const now = Date.now();
    res.writeHead(200);
    res.end("ok");
    const id = req.headers["webhook-id"] as string;
    const a = arrivals.get(id);
    if (a) a.count++;
    else {
      const ts = Date.parse(
        (JSON.parse(Buffer.concat(chunks).toString()) as { timestamp: string }).timestamp,
      );
      arrivals.set(id, { first: now, latency: now - ts, count: 1, ts });
    }
    lastArrival = now;
  });
});
server.keepAliveTimeout = 10_000;
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

interface Child {
  proc: ChildProcess;
  ids: string[];
  ready: Promise<number>;
  done: Promise<void>;
}

function start(mode: string, file: string, acc: string, count: number, rate: number, prefix: string): Child {
  const proc = spawn(
    process.execPath,
    [
      ...(CPU_PROF && mode === "engine" ? ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF}`] : []),
      "--import",
      "tsx",
      childPath,
      ...[mode, file, acc, url, String(count), String(rate), prefix],
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const ids: string[] = [];
  let buf = "";
  let onReady: (t: number) => void = () => {};
  const ready = new Promise<number>((r) => (onReady = r));
  proc.stdout?.on("data", (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = JSON.parse(buf.slice(0, nl)) as { ready?: boolean; ids?: string[] };
      buf = buf.slice(nl + 1);
      if (line.ready) onReady(Date.now());
      if (line.ids) ids.push(...line.ids);
    }
  });
  const done = new Promise<void>((r) => proc.once("exit", () => r()));
  return { proc, ids, ready, done };
}

/**
 * CPU time (user + system, ms) a child has used, from /proc (Linux; NaN elsewhere). On a shared
 * machine wall-clock rates move with the neighbours' load; CPU time per delivery does not as much.
 */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz ticks
  } catch {
    return NaN;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function drained(ids: string[], maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until && !ids.every((id) => arrivals.has(id))) await sleep(50);
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function steady(mode: "engine" | "naive") {
  arrivals.clear();
  const t = tempDb();
  const acc = seedAccount(t.db);
  addCallback(t.db, { accountId: acc, url, events: ["sip.*"] });
  const half = Math.floor((RATE * SECONDS) / 2);
  const a = start(mode, t.file, acc, half, RATE, "a");
  const t0 = await a.ready;
  await sleep((SECONDS / 2) * 1000);
  a.proc.kill("SIGKILL");
  await a.done;
  const killedAt = Date.now();
  const b = start(mode, t.file, acc, half, RATE, "b");
  const t1 = await b.ready;
  await sleep((SECONDS / 2) * 1000);
  await b.done.then(
    () => {},
    () => {},
  );
  const accepted = [...a.ids, ...b.ids];
  await drained(accepted, 30_000);
  b.proc.kill(CPU_PROF ? "SIGTERM" : "SIGKILL");
  await b.done;
  const lost = accepted.filter((id) => !arrivals.has(id)).length;
  const dup = [...arrivals.values()].filter((x) => x.count > 1).length;
  const latA = a.ids
    .map((id) => arrivals.get(id))
    .filter((x): x is Arrival => !!x && x.first < killedAt)
    .map((x) => x.latency);
  const lat = [
    ...latA,
    ...b.ids.map((id) => arrivals.get(id)?.latency).filter((x): x is number => x !== undefined),
  ];
  const warm = [
    ...a.ids.map((id) => arrivals.get(id)).filter((x) => x && x.first < killedAt && x.ts >= t0 + WARMUP_MS),
    ...b.ids.map((id) => arrivals.get(id)).filter((x) => x && x.ts >= t1 + WARMUP_MS),
  ].map((x) => (x as Arrival).latency);
  const recovered = a.ids.filter((id) => (arrivals.get(id)?.first ?? 0) >= killedAt).length;
  const elapsed = (lastArrival - t0) / 1000;
  t.cleanup();
  return {
    mode,
    accepted: accepted.length,
    acceptedPerSec: Math.round(accepted.length / SECONDS),
    deliveredPerSec: Math.round(arrivals.size / elapsed),
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    warmP50: pct(warm, 50),
    warmP99: pct(warm, 99),
    firstHalfP50: pct(latA, 50),
    firstHalfP99: pct(latA, 99),
    recovered,
    lost,
    redelivered: dup,
  };
}

async function burst(mode: "engine" | "naive") {
  arrivals.clear();
  const t = tempDb();
  const acc = seedAccount(t.db);
  addCallback(t.db, { accountId: acc, url, events: ["sip.*"] });
  const c = start(mode, t.file, acc, BURST, 0, "s");
  const t0 = await c.ready;
  const cpu0 = cpuMs(c.proc.pid);
  while (c.ids.length < BURST) await sleep(20);
  await drained(c.ids, 120_000);
  const cpu = cpuMs(c.proc.pid) - cpu0;
  const delivered = c.ids.filter((id) => arrivals.has(id)).length;
  const perSec = Math.round(delivered / ((lastArrival - t0) / 1000));
  c.proc.kill(CPU_PROF ? "SIGTERM" : "SIGKILL");
  await c.done;
  t.cleanup();
  return {
    mode,
    offered: BURST,
    delivered,
    deliveredPerSec: perSec,
    cpuUsPerDelivery: (cpu * 1000) / delivered,
  };
}

console.log(
  `offering ${RATE} events/s for ${SECONDS} s, kill -9 at ${SECONDS / 2} s; then ${BURST} events at once`,
);
for (const mode of MODES) {
  const r = await steady(mode);
  console.log(
    `${mode.padEnd(6)} steady: accepted ${r.accepted} (${r.acceptedPerSec}/s), delivered ${r.deliveredPerSec}/s, ` +
      `event→first attempt p50 ${r.p50} ms p99 ${r.p99} ms (first half, before the kill: p50 ${r.firstHalfP50} ms p99 ${r.firstHalfP99} ms; ` +
      `without each process's first ${WARMUP_MS / 1000} s: p50 ${r.warmP50} ms p99 ${r.warmP99} ms), ` +
      `lost after kill -9: ${r.lost}, sent after the restart: ${r.recovered}, redelivered (same id): ${r.redelivered}`,
  );
}
const sat: Record<string, number> = {};
const cpu: Record<string, number> = {};
for (const mode of BURST > 0 ? MODES : []) {
  const r = await burst(mode);
  sat[mode] = r.deliveredPerSec;
  cpu[mode] = r.cpuUsPerDelivery;
  console.log(
    `${mode.padEnd(6)} saturation: ${r.delivered}/${r.offered} delivered, ${r.deliveredPerSec}/s; ` +
      (Number.isFinite(r.cpuUsPerDelivery)
        ? `its process's CPU time ${Math.round(r.cpuUsPerDelivery)} µs per delivery (≈ ${Math.round(1e6 / r.cpuUsPerDelivery)}/s per core)`
        : "its process's CPU time unknown (it had exited before it was read)"),
  );
}
if (BURST > 0 && MODES.length === 2)
  console.log(
    `saturation ratio engine/naive: ${((sat["engine"] ?? 0) / (sat["naive"] ?? 1)).toFixed(2)}x wall clock` +
      (Number.isFinite((cpu["naive"] ?? NaN) / (cpu["engine"] ?? NaN))
        ? `, ${((cpu["naive"] ?? 0) / (cpu["engine"] ?? 1)).toFixed(2)}x by CPU time per delivery`
        : ""),
  );
server.closeAllConnections();
server.close();
