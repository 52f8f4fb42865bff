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
  kamailio: Step[];
  kamailioChildren: number;
}

export function printSummary(r: Runs): void {
  const h = best(r.hookline);
  const k = best(r.kamailio);
  const cost = r.withApp && hookCost(r.hookline, r.withApp);
  const costNote = cost
    ? `; the hook +${cost.extra.toFixed(2)} CPU ms per call at ${cost.rate} cps, ` +
      `${(100 * cost.share).toFixed(0)} % of the call's own`
    : "; no rate completed both with and without the hook: no hook cost";
  const row = (name: string, steps: Step[], note: string) => {
    const s = best(steps);
    const capped = s !== undefined && s === steps.at(-1);
    return `| ${name.padEnd(12)} | ${(s ? `${s.rate}${capped ? "+" : ""}` : "none").padStart(13)} | ${(s ? s.cpuMsPerCall.toFixed(2) : "-").padStart(15)} | ${(s ? s.memoryMb.toFixed(0) : "-").padStart(11)} | ${note}`;
  };
  const rows = [
    row(
      "Hookline",
      r.hookline,
      "every call authenticated (INVITE, 407, ACK, INVITE); B2BUA; trace to SQLite",
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
    row("Kamailio", r.kamailio, `no authentication; stateful relay (tm), ${r.kamailioChildren} UDP workers`),
  ];
  console.log(`
| target       | cps (passing) | CPU ms per call | memory (MB) | notes
| ------------ | ------------- | --------------- | ----------- | -----
${rows.join("\n")}
("+": the highest rate tried passed — the real limit is higher. Memory: PSS of the process tree
as that step's last calls end; Hookline keeps a call's transactions and dialogs up to 32 s after
it ends, RFC 6026 timers L and M. CPU: the target's process tree, not the application's.)`);
  if (cost)
    console.log(
      `\napplication hook at ${cost.rate} cps${cost.passed ? "" : " (where a step was over the setup limit)"}: ` +
        `${cost.own.toFixed(2)} CPU ms per call without it, ` +
        `${(cost.own + cost.extra).toFixed(2)} with it: +${cost.extra.toFixed(2)} ms = ` +
        `${(100 * cost.share).toFixed(0)} % of the call's own (target < 33 %: ${cost.share < 1 / 3 ? "met" : "NOT met"}); ` +
        `the application itself ${cost.appCpuMsPerCall?.toFixed(2) ?? "?"} CPU ms per call (not counted)`,
    );
  if (h && k) {
    const ratio = h.rate / k.rate;
    console.log(
      `\nratio Hookline / Kamailio = ${ratio.toFixed(2)} (target ≥ 0.50: ${ratio >= 0.5 ? "met" : "NOT met"}); ` +
        `CPU per call ${(h.cpuMsPerCall / k.cpuMsPerCall).toFixed(1)}× Kamailio's`,
    );
  }
}
