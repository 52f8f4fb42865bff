/**
 * Calls per second through two gateway nodes on one PostgreSQL against one node (SPEC §2,
 * docs/scale-out.md), measured in one run with the gateway benchmark's rules: SIPp's authenticated
 * caller (alice) calling a registered UAS, media anchored, < 1 % failed and mean setup under
 * 250 ms, steps of BENCH_STEP_S seconds. With two nodes, each node has its own SIPp caller and its
 * own callee (bob on the first, carol on the second, each a UAS registered there) and takes half
 * the rate: "local", each caller calls the callee of its own node; "across", the callee of the
 * other node, so every call is anchored on one node and relayed through the other (Path, RFC 3327).
 * Every process (the nodes, PostgreSQL, SIPp) shares this machine's cores, which is what limits
 * the two-node figures on a small machine.
 *
 *   npm run bench:cluster -w @hookline/bench
 */
import { openPostgres } from "@hookline/db/pg";
import { startPostgres } from "@hookline/db/testing/postgres";
import { AUTH, DOMAIN, USERS, uacArgs, uas } from "../gateway/calls.js";

/** Each node's callee: node i's UAS registers as CALLEES[i]. */
const CALLEES = ["bob", "carol"];
import {
  cpuMs,
  HERE,
  machineTicks,
  processTree,
  provision,
  sipp,
  startGateway,
  stopSipp,
  type Gateway,
  type Sipp,
} from "../gateway/processes.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { cpus } from "node:os";

const STEP_S = Number(process.env.BENCH_STEP_S ?? 8);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 500);
const MAX_SETUP_MS = Number(process.env.BENCH_MAX_SETUP_MS ?? 250);
const RATES = (process.env.BENCH_RATES_CLUSTER ?? "100,200,300,400,500,600,700,800").split(",").map(Number);
const UAC_AUTH = path.join(HERE, "uac-call-auth.xml");
/** BENCH_CPU_PROF_DIR: each node writes a V8 CPU profile there when it stops. */
const PROF_DIR = process.env.BENCH_CPU_PROF_DIR;

interface Node {
  gw: Gateway;
  callee: string;
  uas: { port: number; proc: Sipp };
}

interface StepResult {
  rate: number;
  successful: number;
  failedPct: number;
  setupMs: number;
  cpuMsPerCall: number;
  /** Of which PostgreSQL's server processes. */
  pgCpuMsPerCall: number;
  machineBusyPct: number;
  ok: boolean;
}

/** All nodes at `rate` cps in all, split evenly; passes with < 1 % failed and setup < 250 ms. */
async function step(
  nodes: Node[],
  pgPids: () => number[],
  rate: number,
  seconds = STEP_S,
  across = false,
): Promise<StepResult> {
  const per = rate / nodes.length;
  const pids = () => [...nodes.flatMap((n) => processTree(n.gw.child.pid!)), ...pgPids()];
  const before = cpuMs(pids());
  const pgBefore = cpuMs(pgPids());
  const machineBefore = machineTicks();
  const runs = nodes.map(
    (n, i) =>
      sipp([
        ...uacArgs(
          UAC_AUTH,
          `127.0.0.1:${n.gw.sip}`,
          per,
          per * seconds,
          AUTH,
          nodes[across ? (i + 1) % nodes.length : i]!.callee,
        ),
        "-timeout",
        String(seconds + 15),
        "-d",
        String(HOLD_MS),
      ]).done,
  );
  const stats = await Promise.all(runs);
  const used = cpuMs(pids()) - before;
  const pgUsed = cpuMs(pgPids()) - pgBefore;
  const machineAfter = machineTicks();
  const calls = rate * seconds;
  const successful = stats.reduce((s, x) => s + x.successful, 0);
  const failedPct = (100 * Math.max(calls - successful, 0)) / calls;
  const setupMs = Math.max(...stats.map((s) => s.responseTimeMs ?? Infinity));
  return {
    rate,
    successful,
    failedPct,
    setupMs,
    cpuMsPerCall: successful > 0 ? used / successful : NaN,
    pgCpuMsPerCall: successful > 0 ? pgUsed / successful : NaN,
    machineBusyPct:
      (100 * (machineAfter.busy - machineBefore.busy)) /
      Math.max(1, machineAfter.total - machineBefore.total),
    ok: failedPct < 1 && setupMs < MAX_SETUP_MS,
  };
}

async function measure(
  name: string,
  count: number,
  url: string,
  pgPids: () => number[],
  across = false,
): Promise<StepResult | undefined> {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const gw = await startGateway(PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROF_DIR}`] : [], {
      HOOKLINE_DATABASE_URL: url,
      HOOKLINE_NODE_ID: `bench-${count}-${i}`,
    });
    // Provisioned once through the first node; the others know it from their directory mirror.
    if (i === 0) await provision(gw, DOMAIN, [...USERS, ...CALLEES.slice(1)]);
    const target = `127.0.0.1:${gw.sip}`;
    const callee = CALLEES[i]!;
    nodes.push({ gw, callee, uas: await uas({ register: { target }, user: callee }) });
  }
  console.log(
    `\n${name}: ${count} gateway node(s) on PostgreSQL (pids ${nodes.map((n) => n.gw.child.pid).join(", ")})`,
  );
  // Warm-up, not counted: JIT, pools and caches, as on a node that has been up a while.
  await step(nodes, pgPids, 100, 4, across);
  let best: StepResult | undefined;
  for (const rate of RATES) {
    const s = await step(nodes, pgPids, rate, STEP_S, across);
    console.log(
      `  ${name.padEnd(10)} ${String(rate).padStart(5)} cps  ${String(s.successful).padStart(6)}/${rate * STEP_S} ok` +
        `  failed ${s.failedPct.toFixed(2).padStart(6)} %  setup ${Number.isFinite(s.setupMs) ? s.setupMs.toFixed(0) : "?"} ms` +
        `  ${s.cpuMsPerCall.toFixed(2)} CPU ms/call (nodes + PostgreSQL; PostgreSQL ${s.pgCpuMsPerCall.toFixed(2)})` +
        `  machine busy ${s.machineBusyPct.toFixed(0)} %` +
        (s.ok ? "" : "  → FAIL"),
    );
    if (!s.ok) break;
    best = s;
  }
  for (const n of nodes) {
    await stopSipp(n.uas.proc);
    await n.gw.stop();
  }
  return best;
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  try {
    // The server's processes count too: the nodes' writes and mirrors cost it CPU.
    const postmaster =
      pg.dir === null
        ? undefined
        : Number(readFileSync(path.join(pg.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    const pgPids = () => (postmaster === undefined ? [] : processTree(postmaster));
    const fresh = async (name: string) => {
      const admin = await openPostgres({ url: pg.url, max: 1, migrate: false });
      await admin.pool.query(`CREATE DATABASE ${name}`);
      await admin.close();
      const url = new URL(pg.url);
      url.pathname = `/${name}`;
      return url.toString();
    };
    const one = await measure("one node", 1, await fresh("bench_one"), pgPids);
    const two = await measure("two nodes", 2, await fresh("bench_two"), pgPids);
    const across = await measure("across", 2, await fresh("bench_across"), pgPids, true);
    console.log(`\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`);
    console.log("| nodes | calls/s passing | CPU ms per call (nodes + PostgreSQL) | machine busy |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const [label, r] of [
      ["one", one],
      ["two, each call on its callee's node", two],
      ["two, each call relayed to the other node", across],
    ] as const) {
      console.log(
        `| ${label} | ${r?.rate ?? 0} | ${r ? r.cpuMsPerCall.toFixed(2) : "-"} | ${r ? r.machineBusyPct.toFixed(0) : "-"} % |`,
      );
    }
    if (one && two) console.log(`\nTwo nodes against one: ${(two.rate / one.rate).toFixed(2)}×`);
    if (two && across)
      console.log(
        `Relayed across nodes against on the callee's node: ${(across.rate / two.rate).toFixed(2)}×`,
      );
  } finally {
    await pg.stop();
  }
}

await main();
