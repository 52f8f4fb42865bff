/**
 * The gateway benchmark's results: a step's figures, the summary table, and the application
 * hook's cost per call (SPEC §5) as a share of the call's own.
 */
import { readFileSync } from "node:fs";

export interface Step {
  rate: number;
  created: number;
  successful: number;
  failedPct: number;
  cpuMsPerCall: number;
  /** The main process alone (node for Hookline, without its mediasoup worker). */
  mainCpuMsPerCall: number;
  /** Both cores, everything on the machine (SIPp, other work) during the step. */
  machineBusyPct: number;
  /** The SIPp UAS, to see when the load generators are the limit. */
  uasCpuMsPerCall: number;
  /** The process tree's memory (PSS) as the step's last calls end. */
  memoryMb: number;
  responseTimeMs: number | undefined;
  failures: Record<string, number>;
  /** With the application hook: its requests during the step, and the application's own CPU. */
  hook?: { asked: number; failed: number; appCpuMsPerCall: number };
  /** Under 1 % of its calls failed (and, with the hook, under 1 % went without the application). */
  completed: boolean;
  /** Completed, and mean call setup stayed under the limit: the target kept up with the rate. */
  ok: boolean;
}

/** The highest passing step. */
export function best(steps: Step[]): Step | undefined {
  return steps.filter((s) => s.ok).at(-1);
}

export interface HookCost {
  rate: number;
  /** Both steps at that rate also kept call setup under the limit. */
  passed: boolean;
  /** The gateway's CPU ms per call without the hook. */
  own: number;
  /** What the hook adds to it. */
  extra: number;
  share: number;
  appCpuMsPerCall: number | undefined;
}

/**
 * What the hook adds to a call: the gateway's CPU ms per call with and without it at the highest
 * rate both runs completed, so that both are measured under the same load. A step slower than
 * the setup limit still counts (its calls were made, each at its CPU cost): on a busy machine
 * the hook's round trip alone can fail the first step, and the cost is what is asked here.
 */
export function hookCost(plain: Step[], withApp: Step[]): HookCost | undefined {
  for (const a of withApp.filter((s) => s.completed).reverse()) {
    const p = plain.find((s) => s.completed && s.rate === a.rate);
    if (!p) continue;
    const extra = a.cpuMsPerCall - p.cpuMsPerCall;
    const share = extra / p.cpuMsPerCall;
    const passed = a.ok && p.ok;
    return {
      rate: a.rate,
      passed,
      own: p.cpuMsPerCall,
      extra,
      share,
      appCpuMsPerCall: a.hook?.appCpuMsPerCall,
    };
  }
  return undefined;
}

/** The three most frequent kinds of line a process wrote to stderr (ids folded), if any. */
export function summarizeLog(name: string, file: string): void {
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  if (lines.length === 0) return;
  const kinds = new Map<string, number>();
  for (const line of lines) {
    const kind = line
      .replace(/\b(call|leg)_\w+/g, "$1_…")
      .replace(/^\s*\d+\(\d+\)/, "")
      .slice(0, 110);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  console.log(`  ${name} stderr: ${lines.length} lines (${file}), most frequent:`);
  for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 3))
    console.log(`    ${n}× ${kind}`);
}

export interface Runs {
  hookline: Step[];
  /** Undefined when the run had no row with the application hook (BENCH_APP=0). */
  withApp: Step[] | undefined;
  /** The full peer: Kamailio with digest auth, rtpengine and siptrace. */
  peer: Step[];
  preflight: { ok: boolean; lines: string[] };
  /** The bare stateful relay. */
  kamailio: Step[];
  kamailioChildren: number;
}

export interface Ratio {
  what: string;
  hookline: number;
  peer: number;
  ratio: number;
  target: string;
  met: boolean;
  /** Where each figure was taken. */
  note: string;
}

/**
 * Hookline's ratios against the full peer: calls per second (≥ 1.5×), CPU ms per call at the
 * highest rate both passed, i.e. under the same load (≤ 0.75×), memory at each one's top rate
 * (≤ 1×). Empty when either has no passing step.
 */
export function ratios(r: Runs): Ratio[] {
  const h = best(r.hookline);
  const p = best(r.peer);
  if (!h || !p) return [];
  const same = [...r.hookline]
    .reverse()
    .filter((s) => s.ok)
    .map((s) => [s, r.peer.find((q) => q.ok && q.rate === s.rate)] as const)
    .find(([, q]) => q !== undefined);
  const capped = (steps: Step[], s: Step) => (s === steps.at(-1) ? " (highest rate tried)" : "");
  const out: Ratio[] = [
    {
      what: "calls/s passing",
      hookline: h.rate,
      peer: p.rate,
      ratio: h.rate / p.rate,
      target: "≥ 1.5×",
      met: h.rate / p.rate >= 1.5,
      note: `highest passing step of each${capped(r.hookline, h)}${capped(r.peer, p)}`,
    },
  ];
  if (same) {
    const [hs, ps] = same as readonly [Step, Step];
    out.push({
      what: "CPU ms per call",
      hookline: hs.cpuMsPerCall,
      peer: ps.cpuMsPerCall,
      ratio: hs.cpuMsPerCall / ps.cpuMsPerCall,
      target: "≤ 0.75×",
      met: hs.cpuMsPerCall / ps.cpuMsPerCall <= 0.75,
      note: `at ${hs.rate} cps, the highest rate both passed`,
    });
  }
  out.push({
    what: "memory (PSS) at top rate, MB",
    hookline: h.memoryMb,
    peer: p.memoryMb,
    ratio: h.memoryMb / p.memoryMb,
    target: "≤ 1×",
    met: h.memoryMb <= p.memoryMb,
    note: `at ${h.rate} cps (Hookline) and ${p.rate} cps (peer)`,
  });
  return out;
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

/** The summary table's rows, markdown. */
export function summaryRows(r: Runs): string[] {
  const cost = r.withApp && hookCost(r.hookline, r.withApp);
  const costNote = cost
    ? `; the hook ${cost.extra >= 0 ? "+" : "−"}${Math.abs(cost.extra).toFixed(2)} CPU ms per call at ${cost.rate} cps, ` +
      `${(100 * cost.share).toFixed(0)} % of the call's own`
    : "; no rate completed both with and without the hook: no hook cost";
  const row = (name: string, steps: Step[], note: string) => {
    const s = best(steps);
    const capped = s !== undefined && s === steps.at(-1);
    return `| ${name.padEnd(19)} | ${(s ? `${s.rate}${capped ? "+" : ""}` : "none").padStart(13)} | ${(s ? fmt(s.cpuMsPerCall) : "-").padStart(15)} | ${(s ? fmt(s.memoryMb, 0) : "-").padStart(11)} | ${note} |`;
  };
  return [
    "| target              | cps (passing) | CPU ms per call | memory (MB) | notes |",
    "| ------------------- | ------------- | --------------- | ----------- | ----- |",
    row(
      "Hookline",
      r.hookline,
      "every INVITE challenged (407) then authenticated; B2BUA; media anchored in mediasoup; trace to SQLite",
    ),
    ...(r.withApp
      ? [
          row(
            "Hookline+app",
            r.withApp,
            `the same, and every call asks the application (call.incoming → dial bob)${costNote}`,
          ),
        ]
      : []),
    row(
      "Kamailio full peer",
      r.peer,
      `every INVITE challenged (auth_db, SQLite); stateful relay with Record-Route; media anchored in rtpengine; siptrace to files; ${r.kamailioChildren} UDP workers + rtpengine` +
        (r.preflight.ok ? "" : "; FAILED its pre-flight, not measured"),
    ),
    row(
      "Kamailio bare relay",
      r.kamailio,
      `no authentication, no media, no trace; stateful relay (tm), ${r.kamailioChildren} UDP workers`,
    ),
  ];
}

export const TABLE_NOTE =
  '"+": the highest rate tried passed — the real limit is higher. Memory: PSS of the process tree ' +
  "as that step's last calls end (the full peer: Kamailio's tree and rtpengine); Hookline keeps a " +
  "call's transactions and dialogs up to 32 s after it ends, RFC 6026 timers L and M. CPU: the " +
  "target's processes, not the application's nor SIPp's.";

export function printSummary(r: Runs): void {
  const cost = r.withApp && hookCost(r.hookline, r.withApp);
  console.log(`\n${summaryRows(r).join("\n")}\n(${TABLE_NOTE})`);
  if (cost)
    console.log(
      `\napplication hook at ${cost.rate} cps${cost.passed ? "" : " (where a step was over the setup limit)"}: ` +
        `${cost.own.toFixed(2)} CPU ms per call without it, ` +
        `${(cost.own + cost.extra).toFixed(2)} with it: +${cost.extra.toFixed(2)} ms = ` +
        `${(100 * cost.share).toFixed(0)} % of the call's own (target < 33 %: ${cost.share < 1 / 3 ? "met" : "NOT met"}); ` +
        `the application itself ${cost.appCpuMsPerCall?.toFixed(2) ?? "?"} CPU ms per call (not counted)`,
    );
  const rs = ratios(r);
  if (rs.length === 0) console.log("\nno ratio against the full peer: one of them passed no step");
  for (const x of rs)
    console.log(
      `\nHookline / full peer, ${x.what}: ${fmt(x.hookline)} / ${fmt(x.peer)} = ${fmt(x.ratio)}× ` +
        `(target ${x.target}: ${x.met ? "met" : "NOT met"}; ${x.note})`,
    );
}
