/**
 * Gateway benchmark: calls per second at < 1 % failed calls and CPU ms per call,
 *
 *   SIPp UAC → Hookline gateway (tsx, SQLite in a temp folder) → SIPp UAS registered as bob
 *   SIPp UAC → Hookline gateway, the same with an application hook (SPEC §5): each call asks a
 *              node:http application on 127.0.0.1 (bench/gateway/application.ts), which answers
 *              `dial` bob
 *   SIPp UAC → Kamailio (bench/gateway/kamailio.cfg, stateful relay)  → SIPp UAS
 *
 * in the same run on the same machine, each Hookline on a fresh gateway. The rate is stepped up
 * (each step STEP_S seconds of new calls, each call held HOLD_MS) until a step fails, or the time
 * budget is spent. A step passes when under 1 % of its calls failed and their mean call setup
 * (INVITE → 200) stayed under MAX_SETUP_MS: past that the target is queueing work it cannot keep
 * up with (both callees absorb INVITE retransmissions, so overload shows as latency before it
 * shows as failed calls). With the hook, 1 % of calls or more that the application did not steer
 * fail the step too (those take the default route, which is not what the row measures). The cost
 * of the hook per call is the gateway's CPU ms per call with it minus without it at the highest
 * rate both completed (under 1 % failed calls, setup time aside), as a share of the call's own
 * (the target: under a third).
 * Hookline's callers authenticate every call (INVITE → 407 → INVITE with credentials); Kamailio
 * does no authentication. Not a test: `npm run bench:gateway -w @hookline/bench`.
 *
 * Options (environment): BENCH_STEP_S (8), BENCH_HOLD_MS (500), BENCH_BUDGET_S (360),
 * BENCH_MAX_SETUP_MS (250, half of SIP's T1), BENCH_KAMAILIO_CHILDREN (2), BENCH_TRACE_ERR=1 (SIPp
 * -trace_err of the UAS and of each step's UAC, folders printed), BENCH_CPU_PROF=1 (V8 --cpu-prof
 * of the gateway, written to a temporary folder that is printed), BENCH_RATES_GATEWAY /
 * BENCH_RATES_KAMAILIO (comma-separated cps; the hook's row steps through the gateway's rates),
 * BENCH_APP=0 (no row with the application hook).
 */
import path from "node:path";
import { readFileSync } from "node:fs";
import {
  cpuMs,
  pssMb,
  E2E_SIPP,
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
  type Sipp,
} from "./processes.js";
import { printSummary, summarizeLog, type Step } from "./summary.js";

const STEP_S = Number(process.env.BENCH_STEP_S ?? 8);
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 500);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_S ?? 360) * 1000;
const MAX_SETUP_MS = Number(process.env.BENCH_MAX_SETUP_MS ?? 250);
const KAMAILIO_CHILDREN = Number(process.env.BENCH_KAMAILIO_CHILDREN ?? 2);
const CPU_PROF = process.env.BENCH_CPU_PROF === "1";
const TRACE_ERR = process.env.BENCH_TRACE_ERR === "1";
const WITH_APP = process.env.BENCH_APP !== "0";
const rates = (name: string, fallback: number[]) =>
  process.env[name] ? process.env[name].split(",").map(Number) : fallback;
const GATEWAY_RATES = rates("BENCH_RATES_GATEWAY", [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
const KAMAILIO_RATES = rates("BENCH_RATES_KAMAILIO", [500, 1000, 1500, 2000, 2500, 3000]);
const DOMAIN = "bench.test";

interface Target {
  name: string;
  /** The process tree whose CPU is counted. */
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

async function step(target: Target, rate: number): Promise<Step> {
  const calls = rate * STEP_S;
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
      String(STEP_S + 15),
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

/** A SIPp UAS on a fresh UDP port; for Hookline it first registers bob from that same port. */
async function uas(register?: { target: string }): Promise<{ port: number; proc: Sipp }> {
  const port = await freeUdpPort();
  // Both SIPp instances speak as bob from the same UDP port: the registered contact is the UAS.
  const asBob = ["-t", "u1", "-p", String(port), "-s", "bob"];
  if (register) {
    const reg = await sipp([
      "-sf",
      path.join(E2E_SIPP, "register-auth.xml"),
      register.target,
      ...asBob,
      "-au",
      "bob",
      "-ap",
      "bob-secret",
      "-set",
      "domain",
      DOMAIN,
      "-m",
      "1",
      "-timeout",
      "10",
      "-timeout_error",
    ]).done;
    if (reg.code !== 0) throw new Error(`bob's REGISTER failed (${reg.code}): ${reg.stderr}`);
  }
  const proc = sipp(
    ["-sf", path.join(E2E_SIPP, "uas-answer.xml"), ...asBob, ...(TRACE_ERR ? ["-trace_err"] : [])],
    TRACE_ERR,
  );
  if (TRACE_ERR) console.log(`            SIPp UAS folder (-trace_err logs): ${proc.dir}`);
  return { port, proc };
}

/** SIPp arguments of a UAC calling bob as alice at `rate` cps, `calls` calls in all. */
function uacArgs(
  scenario: string,
  target: string,
  rate: number,
  calls: number,
  extra: string[] = [],
): string[] {
  return [
    "-sf",
    scenario,
    target,
    "-t",
    "u1",
    "-s",
    "bob",
    "-set",
    "caller",
    "alice",
    ...extra,
    "-set",
    "domain",
    DOMAIN,
    "-r",
    String(rate),
    "-m",
    String(calls),
  ];
}

/** The hook's log line (apps/gateway/src/application/router.ts): one per request it gave up on. */
const HOOK_FAILED = '"msg":"application answer not usable"';

/** A fresh gateway, with or without the application hook, stepped up through GATEWAY_RATES. */
async function hookline(withApp: boolean, share: number): Promise<{ steps: Step[]; profileDir: string }> {
  const name = withApp ? "Hookline+app" : "Hookline";
  const app = withApp ? await startApplication("bob") : undefined;
  const profileDir = tmp("hookline-bench-prof-");
  const gw = await startGateway(
    CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    // The SSRF rules refuse loopback unless the operator allows it (SPEC §5, as callbacks).
    app ? { HOOKLINE_CALLBACK_ALLOWLIST: new URL(app.url).host } : {},
  );
  await provision(gw, DOMAIN, ["alice", "bob"], app?.url);
  const gwTarget = `127.0.0.1:${gw.sip}`;
  const gwUas = await uas({ target: gwTarget });
  console.log(
    `\n${name} gateway pid ${gw.child.pid}, SIP ${gwTarget}, UAS (bob) on 127.0.0.1:${gwUas.port}` +
      (app ? `, application pid ${app.child.pid} at ${app.url}` : ""),
  );
  const target: Target = {
    name,
    pids: () => processTree(gw.child.pid!),
    mainPid: gw.child.pid!,
    uasPid: gwUas.proc.child.pid!,
    uac: (rate, calls) =>
      uacArgs(path.join(E2E_SIPP, "uac-call-auth.xml"), gwTarget, rate, calls, [
        "-au",
        "alice",
        "-ap",
        "alice-secret",
      ]),
    ...(app && {
      hook: {
        asked: async () => (await app.asked())["call.incoming"] ?? 0,
        failed: () => readFileSync(gw.logLines, "utf8").split(HOOK_FAILED).length - 1,
        appPid: app.child.pid!,
      },
    }),
  };
  const steps = await stepUp(target, GATEWAY_RATES, share);
  await stopSipp(gwUas.proc);
  const gwExit = await gw.stop();
  if (gwExit !== 0) console.log(`  (gateway exited with ${gwExit})`);
  await app?.stop();
  summarizeLog(`${name} gateway`, gw.logFile);
  return { steps, profileDir };
}

async function main(): Promise<void> {
  console.log(
    `Gateway benchmark: ${STEP_S} s per step, calls held ${HOLD_MS} ms, budget ${BUDGET_MS / 1000} s, ` +
      `pass = < 1 % failed calls and mean setup < ${MAX_SETUP_MS} ms`,
  );

  // ── Hookline, then Hookline with the application hook (each a fresh gateway) ──
  const plain = await hookline(false, left() / (WITH_APP ? 3 : 2));
  const withApp = WITH_APP ? await hookline(true, left() / 2) : undefined;

  // ── Kamailio ──
  const kUas = await uas();
  const kPort = await freeUdpPort();
  const kam = await startKamailio(kPort, kUas.port, KAMAILIO_CHILDREN);
  console.log(
    `\nKamailio pid ${kam.pid} (${KAMAILIO_CHILDREN} UDP workers), SIP 127.0.0.1:${kPort}, UAS on 127.0.0.1:${kUas.port}`,
  );
  const kamailio: Target = {
    name: "Kamailio",
    pids: () => processTree(kam.pid),
    mainPid: kam.pid,
    uasPid: kUas.proc.child.pid!,
    uac: (rate, calls) => uacArgs(path.join(HERE, "uac-call-noauth.xml"), `127.0.0.1:${kPort}`, rate, calls),
  };
  const kSteps = await stepUp(kamailio, KAMAILIO_RATES, left());
  await kam.stop();
  await stopSipp(kUas.proc);
  summarizeLog("kamailio", kam.logFile);

  printSummary({
    hookline: plain.steps,
    withApp: withApp?.steps,
    kamailio: kSteps,
    kamailioChildren: KAMAILIO_CHILDREN,
  });
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
