/**
 * Gateway benchmark: calls per second at < 1 % failed calls, CPU ms per call and memory, for
 *
 *   Kamailio, the full peer: SIPp UAC → Kamailio (bench/gateway/kamailio-peer.cfg: digest auth of
 *              every INVITE against SQLite, stateful relay with Record-Route, media anchored in
 *              rtpengine, SIP traced to files) → SIPp UAS; checked first at a low rate
 *              (bench/gateway/preflight.ts)
 *   Hookline:  SIPp UAC → Hookline gateway (npm start's bundle, SQLite in a temp folder; digest
 *              auth, media anchored in mediasoup, SIP trace recorded) → SIPp UAS registered as bob
 *   Hookline+app: the same with an application hook (SPEC §5): each call asks a node:http
 *              application on 127.0.0.1 (bench/gateway/application.ts), which answers `dial` bob
 *   Kamailio bare relay: SIPp UAC → Kamailio (bench/gateway/kamailio.cfg, stateful relay, no auth,
 *              no media) → SIPp UAS, an informative row
 *
 * in the same run on the same machine, each on fresh processes, Hookline and the full peer
 * through the same steps. Each caller offers SDP and sends no RTP: media is anchored, not relayed,
 * on both sides alike. The rate is stepped up (each step STEP_S seconds of new calls, each call
 * held HOLD_MS) until a step fails, or the row's share of the time budget is spent; a fresh
 * gateway is warmed up first (WARMUP_S at WARMUP_CPS, not measured). A step passes when under 1 %
 * of its calls failed and their mean call setup (INVITE → 200) stayed under MAX_SETUP_MS: past
 * that the target is queueing work it cannot keep up with (both callees absorb INVITE
 * retransmissions, so overload shows as latency before it shows as failed calls). With the hook,
 * 1 % of calls or more that the application did not steer fail the step too. The cost of the hook
 * per call is the gateway's CPU ms per call with it minus without it at the highest rate both
 * completed, as a share of the call's own (the target: under a third).
 * The figures, the ratios against the full peer and the machine go to bench/REPORT.md (report.ts).
 * Not a test: `npm run bench:gateway -w @hookline/bench`.
 *
 * Options (environment): BENCH_STEP_S (8), BENCH_HOLD_MS (500), BENCH_BUDGET_S (420, for all rows),
 * BENCH_MAX_SETUP_MS (250, half of SIP's T1), BENCH_KAMAILIO_CHILDREN (2, both Kamailios),
 * BENCH_WARMUP_S (4), BENCH_WARMUP_CPS (100), BENCH_RTPENGINE_DELETE_DELAY (0 s; the daemon's own
 * default is 30), BENCH_TRACE_ERR=1 (SIPp -trace_err of the UAS and of each step's UAC, folders
 * printed), BENCH_CPU_PROF=1 (V8 --cpu-prof of the gateway, written to a temporary folder that is
 * printed), BENCH_HEAP_SNAPSHOT=1 (a V8 heap snapshot of the gateway right after its last step, in
 * the same folder: what the calls of the last 32 s hold), BENCH_RATES_GATEWAY (comma-separated cps of Hookline, Hookline+app and the full peer),
 * BENCH_RATES_KAMAILIO (the bare relay's), BENCH_APP=0 (no row with the application hook),
 * BENCH_PEER=0 (no Kamailio rows: Hookline alone, for profiling; no ratios then),
 * BENCH_REPORT (the report's path; bench/REPORT.md), BENCH_GATEWAY_NODE_ARGS (space-separated node or V8
 * flags for the gateway, e.g. `--heap-growing-percent=20`, to weigh memory against CPU).
 */
import path from "node:path";
import { readdirSync, readFileSync, statSync } from "node:fs";
import {
  cpuMs,
  pssMb,
  freeUdpPort,
  machineTicks,
  HERE,
  processTree,
  provision,
  startApplication,
  sipp,
  startGateway,
  startKamailio,
  stopSipp,
  tmp,
} from "./processes.js";
import { AUTH, DOMAIN, USERS, uacArgs, uas } from "./calls.js";
import { startPeer } from "./peer.js";
import { preflightPeer, type PreflightResult } from "./preflight.js";
import { printSummary, summarizeLog, type Step } from "./summary.js";
import { writeReport } from "./report.js";

const STEP_S = Number(process.env.BENCH_STEP_S ?? 8);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 500);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_S ?? 420) * 1000;
const MAX_SETUP_MS = Number(process.env.BENCH_MAX_SETUP_MS ?? 250);
const KAMAILIO_CHILDREN = Number(process.env.BENCH_KAMAILIO_CHILDREN ?? 2);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 4);
const WARMUP_CPS = Number(process.env.BENCH_WARMUP_CPS ?? 100);
const DELETE_DELAY = Number(process.env.BENCH_RTPENGINE_DELETE_DELAY ?? 0);
const CPU_PROF = process.env.BENCH_CPU_PROF === "1";
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT === "1";
const TRACE_ERR = process.env.BENCH_TRACE_ERR === "1";
const WITH_APP = process.env.BENCH_APP !== "0";
const WITH_PEER = process.env.BENCH_PEER !== "0";
const NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter(Boolean);
const rates = (name: string, fallback: number[]) =>
  process.env[name] ? process.env[name].split(",").map(Number) : fallback;
const GATEWAY_RATES = rates("BENCH_RATES_GATEWAY", [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200]);
const KAMAILIO_RATES = rates("BENCH_RATES_KAMAILIO", [500, 1000, 1500, 2000, 2500, 3000]);
/** rtpengine's ports: clear of Hookline's default RTP range (40000–49999). */
const RTPENGINE_PORTS = { min: 20000, max: 29999 };
const UAC_AUTH = path.join(HERE, "uac-call-auth.xml");
const UAC_NOAUTH = path.join(HERE, "uac-call-noauth.xml");

interface Target {
  name: string;
  /** The processes whose CPU and memory are counted. */
  pids: () => number[];
  mainPid: number;
  uasPid: number;
  /** SIPp arguments of the UAC for `rate` cps, `calls` calls. */
  uac: (rate: number, calls: number) => string[];
  hook?: {
    /** `call.incoming` requests the application answered so far. */
    asked(): Promise<number>;
    /** Hook requests the gateway gave up on so far (timeout, refused, bad answer). */
    failed(): number;
    appPid: number;
  };
}

const started = Date.now();
const left = () => BUDGET_MS - (Date.now() - started);

async function step(target: Target, rate: number, seconds = STEP_S): Promise<Step> {
  const calls = rate * seconds;
  const before = cpuMs(target.pids());
  const mainBefore = cpuMs([target.mainPid]);
  const machineBefore = machineTicks();
  const uasBefore = cpuMs([target.uasPid]);
  const hookBefore = target.hook && {
    asked: await target.hook.asked(),
    failed: target.hook.failed(),
    appCpu: cpuMs([target.hook.appPid]),
  };
  const uac = sipp(
    [
      ...target.uac(rate, calls),
      "-timeout",
      String(seconds + 15),
      "-d",
      String(HOLD_MS),
      ...(TRACE_ERR ? ["-trace_err"] : []),
    ],
    TRACE_ERR,
  );
  const s = await uac.done;
  if (TRACE_ERR) console.log(`            SIPp UAC folder (-trace_err logs): ${s.dir}`);
  const used = cpuMs(target.pids()) - before;
  const mainUsed = cpuMs([target.mainPid]) - mainBefore;
  const machineAfter = machineTicks();
  const uasUsed = cpuMs([target.uasPid]) - uasBefore;
  const memoryMb = pssMb(target.pids());
  const hook = target.hook &&
    hookBefore && {
      asked: (await target.hook.asked()) - hookBefore.asked,
      failed: target.hook.failed() - hookBefore.failed,
      appCpuMsPerCall:
        s.successful > 0 ? (cpuMs([target.hook.appPid]) - hookBefore.appCpu) / s.successful : NaN,
    };
  // Calls still open at the timeout count as failed.
  const failed = Math.max(s.failed, calls - s.successful);
  const failedPct = (100 * failed) / calls;
  const completed = failedPct < 1 && (!hook || (100 * hook.failed) / calls < 1);
  return {
    rate,
    created: s.created,
    successful: s.successful,
    failedPct,
    cpuMsPerCall: s.successful > 0 ? used / s.successful : NaN,
    mainCpuMsPerCall: s.successful > 0 ? mainUsed / s.successful : NaN,
    machineBusyPct:
      (100 * (machineAfter.busy - machineBefore.busy)) /
      Math.max(1, machineAfter.total - machineBefore.total),
    uasCpuMsPerCall: s.successful > 0 ? uasUsed / s.successful : NaN,
    memoryMb,
    responseTimeMs: s.responseTimeMs,
    failures: s.failures,
    ...(hook && { hook }),
    completed,
    ok: completed && (s.responseTimeMs ?? Infinity) < MAX_SETUP_MS,
  };
}

async function stepUp(target: Target, list: number[], share: number): Promise<Step[]> {
  const until = Date.now() + share;
  const steps: Step[] = [];
  for (const rate of list) {
    // A step takes about STEP_S + HOLD_MS + a little; don't start one that would overrun.
    if (Date.now() + (STEP_S + 3) * 1000 + HOLD_MS > until) {
      console.log(`  (${target.name}: time budget reached before ${rate} cps)`);
      break;
    }
    const s = await step(target, rate);
    steps.push(s);
    console.log(
      `  ${target.name.padEnd(12)} ${String(rate).padStart(5)} cps  ${String(s.successful).padStart(6)}/${rate * STEP_S} ok` +
        `  failed ${s.failedPct.toFixed(2).padStart(6)} %  ${s.cpuMsPerCall.toFixed(2).padStart(6)} CPU ms/call (main process ${s.mainCpuMsPerCall.toFixed(2)})` +
        `  machine busy ${s.machineBusyPct.toFixed(0)} %, SIPp UAS ${s.uasCpuMsPerCall.toFixed(2)} ms/call` +
        `  memory ${s.memoryMb.toFixed(0)} MB` +
        `  setup (INVITE→200) ${s.responseTimeMs === undefined ? "?" : s.responseTimeMs < 1 ? "<1" : s.responseTimeMs.toFixed(0)} ms` +
        (s.ok ? "" : "  → FAIL"),
    );
    const reasons = Object.entries(s.failures).map(([k, v]) => `${k} ${v}`);
    if (s.hook)
      console.log(
        `            hook: ${s.hook.asked} call.incoming answered, ${s.hook.failed} failed;` +
          ` the application's own CPU ${s.hook.appCpuMsPerCall.toFixed(2)} ms/call`,
      );
    if (reasons.length > 0) console.log(`            failed calls by SIPp's reason: ${reasons.join(", ")}`);
    if (!s.ok) break;
  }
  return steps;
}

/** The hook's log line (apps/gateway/src/application/router.ts): one per request it gave up on. */
const HOOK_FAILED = '"msg":"application answer not usable"';

/** A fresh gateway, with or without the application hook, warmed up, stepped up through GATEWAY_RATES. */
async function hookline(withApp: boolean, share: number): Promise<{ steps: Step[]; profileDir: string }> {
  const until = Date.now() + share;
  const name = withApp ? "Hookline+app" : "Hookline";
  const app = withApp ? await startApplication("bob") : undefined;
  const profileDir = tmp("hookline-bench-prof-");
  const gw = await startGateway(
    [
      ...(CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      ...(HEAP_SNAPSHOT ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${profileDir}`] : []),
      ...NODE_ARGS,
    ],
    // The SSRF rules refuse loopback unless the operator allows it (SPEC §5, as callbacks).
    app ? { HOOKLINE_CALLBACK_ALLOWLIST: new URL(app.url).host } : {},
  );
  await provision(gw, DOMAIN, USERS, app?.url);
  const gwTarget = `127.0.0.1:${gw.sip}`;
  const gwUas = await uas({ register: { target: gwTarget }, traceErr: TRACE_ERR });
  if (TRACE_ERR) console.log(`            SIPp UAS folder (-trace_err logs): ${gwUas.proc.dir}`);
  console.log(
    `\n${name} gateway pid ${gw.child.pid}, SIP ${gwTarget}, UAS (bob) on 127.0.0.1:${gwUas.port}` +
      (app ? `, application pid ${app.child.pid} at ${app.url}` : ""),
  );
  const target: Target = {
    name,
    pids: () => processTree(gw.child.pid!),
    mainPid: gw.child.pid!,
    uasPid: gwUas.proc.child.pid!,
    uac: (rate, calls) => uacArgs(UAC_AUTH, gwTarget, rate, calls, AUTH),
    ...(app && {
      hook: {
        asked: async () => (await app.asked())["call.incoming"] ?? 0,
        failed: () => readFileSync(gw.logLines, "utf8").split(HOOK_FAILED).length - 1,
        appPid: app.child.pid!,
      },
    }),
  };
  // JIT, pools and caches warm before the first measured step, as a server that has been up a while.
  const warm = await step(target, WARMUP_CPS, WARMUP_S);
  console.log(
    `  ${name.padEnd(12)} warm-up ${WARMUP_CPS} cps for ${WARMUP_S} s: ${warm.successful} calls (not counted)`,
  );
  const steps = await stepUp(target, GATEWAY_RATES, until - Date.now());
  if (HEAP_SNAPSHOT) await heapSnapshot(gw.child.pid!, profileDir);
  await stopSipp(gwUas.proc);
  const gwExit = await gw.stop();
  if (gwExit !== 0) console.log(`  (gateway exited with ${gwExit})`);
  await app?.stop();
  summarizeLog(`${name} gateway`, gw.logFile);
  return { steps, profileDir };
}

/** The full peer: checked at a low rate, then stepped up through the same rates as Hookline. */
async function fullPeer(share: number): Promise<{ steps: Step[]; preflight: PreflightResult }> {
  const until = Date.now() + share;
  const uasPort = await freeUdpPort();
  const port = await freeUdpPort();
  const peer = await startPeer({
    port,
    uasPort,
    children: KAMAILIO_CHILDREN,
    domain: DOMAIN,
    users: USERS,
    ngPort: await freeUdpPort(),
    rtpMin: RTPENGINE_PORTS.min,
    rtpMax: RTPENGINE_PORTS.max,
    deleteDelay: DELETE_DELAY,
  });
  const target = `127.0.0.1:${port}`;
  console.log(
    `\nKamailio full peer pid ${peer.kamailioPid} (${KAMAILIO_CHILDREN} UDP workers), SIP ${target}, ` +
      `rtpengine pid ${peer.rtpengine.pid} (ng 127.0.0.1:${peer.rtpengine.ngPort}, RTP ` +
      `${RTPENGINE_PORTS.min}–${RTPENGINE_PORTS.max}, delete delay ${DELETE_DELAY} s), run folder ${peer.runDir}`,
  );
  try {
    const preflight = await preflightPeer(peer, target, uasPort, UAC_AUTH);
    console.log(`  pre-flight at a low rate:\n${preflight.lines.map((l) => `    ${l}`).join("\n")}`);
    if (!preflight.ok) {
      console.log("  the full peer failed its pre-flight: not measured");
      return { steps: [], preflight };
    }
    const callee = await uas({ port: uasPort, traceErr: TRACE_ERR });
    const steps = await stepUp(
      {
        name: "Kamailio+",
        pids: () => peer.pids(),
        mainPid: peer.kamailioPid,
        uasPid: callee.proc.child.pid!,
        uac: (rate, calls) => uacArgs(UAC_AUTH, target, rate, calls, AUTH),
      },
      GATEWAY_RATES,
      until - Date.now(),
    );
    await stopSipp(callee.proc);
    return { steps, preflight };
  } finally {
    await peer.stop();
    summarizeLog("kamailio (full peer)", peer.logFile);
  }
}

/** The bare stateful relay: no auth, no media, no trace; an informative row. */
async function bareRelay(share: number): Promise<Step[]> {
  const kUas = await uas({ traceErr: TRACE_ERR });
  const kPort = await freeUdpPort();
  const kam = await startKamailio(kPort, kUas.port, KAMAILIO_CHILDREN);
  console.log(
    `\nKamailio bare relay pid ${kam.pid} (${KAMAILIO_CHILDREN} UDP workers), SIP 127.0.0.1:${kPort}, UAS on 127.0.0.1:${kUas.port}`,
  );
  const steps = await stepUp(
    {
      name: "Kamailio",
      pids: () => processTree(kam.pid),
      mainPid: kam.pid,
      uasPid: kUas.proc.child.pid!,
      uac: (rate, calls) => uacArgs(UAC_NOAUTH, `127.0.0.1:${kPort}`, rate, calls),
    },
    KAMAILIO_RATES,
    share,
  );
  await kam.stop();
  await stopSipp(kUas.proc);
  summarizeLog("kamailio (bare relay)", kam.logFile);
  return steps;
}

async function main(): Promise<void> {
  const settings =
    `${STEP_S} s per step, calls held ${HOLD_MS} ms, budget ${BUDGET_MS / 1000} s, ` +
    `pass = < 1 % failed calls and mean setup < ${MAX_SETUP_MS} ms`;
  console.log(`Gateway benchmark: ${settings}`);
  // Each row gets an equal share of what is left when it starts.
  let rows = (WITH_APP ? 2 : 1) + (WITH_PEER ? 2 : 0);
  const share = () => left() / rows--;
  const peer = WITH_PEER
    ? await fullPeer(share())
    : { steps: [], preflight: { ok: false, lines: ["not run (BENCH_PEER=0)"] } };
  const plain = await hookline(false, share());
  const withApp = WITH_APP ? await hookline(true, share()) : undefined;
  const bare = WITH_PEER ? await bareRelay(share()) : [];

  const runs = {
    hookline: plain.steps,
    withApp: withApp?.steps,
    peer: peer.steps,
    preflight: peer.preflight,
    kamailio: bare,
    kamailioChildren: KAMAILIO_CHILDREN,
  };
  printSummary(runs);
  const report = writeReport(runs, {
    settings,
    rtpengine: `rtpengine userspace (--table=-1), ng on 127.0.0.1, RTP ${RTPENGINE_PORTS.min}–${RTPENGINE_PORTS.max}, delete delay ${DELETE_DELAY} s`,
    seconds: (Date.now() - started) / 1000,
  });
  console.log(`\nreport written to ${report}`);
  if (CPU_PROF)
    console.log(
      `\nCPU profiles of the gateway: ${plain.profileDir}/*.cpuprofile` +
        (withApp ? `, with the hook ${withApp.profileDir}/*.cpuprofile` : ""),
    );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/** Asks the gateway for a heap snapshot (--heapsnapshot-signal) and waits until it is written. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  process.kill(pid, "SIGUSR2");
  const size = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".heapsnapshot"))
      .reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  let last = -1;
  for (let i = 0; i < 240; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = size();
    if (now > 0 && now === last) break;
    last = now;
  }
  console.log(`  heap snapshot of the gateway: ${dir}/*.heapsnapshot`);
}
