/**
 * The registration benchmark's table, its ratios, and its section of bench/REPORT.md: only the
 * "## Registrations" section is added or replaced, the gateway benchmark's figures are left as
 * they are (it rewrites the file whole when it runs, so `npm run bench` runs it first).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../gateway/processes.js";
import type { Wave } from "./load.js";

export interface TargetResult {
  name: string;
  /** PSS of its process tree, MB: provisioned and idle, all connected, all registered, refreshed. */
  pss: { baseline: number; connected: number; registered: number; refreshed: number };
  connect: Wave;
  initial: Wave;
  refresh: Wave;
  /** CPU ms of its process tree during each REGISTER wave. */
  cpu: { initial: number; refresh: number };
  /** Of `cpu`, the kernel's (system time: sockets, file writes). */
  systemCpu: { initial: number; refresh: number };
  /** CPU ms of the load client (this process) during each wave. */
  clientCpu: { initial: number; refresh: number };
  /** The whole machine's busy share during each wave, %. */
  machineBusyPct: { initial: number; refresh: number };
  /** Bindings it says it holds after the initial wave. */
  held: number;
}

const MB = 2 ** 20;
const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "?");

function figures(r: TargetResult) {
  return {
    initialPerS: r.initial.perSecond,
    refreshPerS: r.refresh.perSecond,
    bytesPerRegistration: ((r.pss.registered - r.pss.baseline) * MB) / Math.max(1, r.initial.ok),
    bytesPerConnection: ((r.pss.connected - r.pss.baseline) * MB) / Math.max(1, r.connect.ok),
    bytesPerBinding: ((r.pss.registered - r.pss.connected) * MB) / Math.max(1, r.initial.ok),
    cpuMsInitial: r.cpu.initial / Math.max(1, r.initial.ok),
    cpuMsRefresh: r.cpu.refresh / Math.max(1, r.refresh.ok),
  };
}

const failures = (w: Wave) =>
  Object.keys(w.failed).length === 0
    ? "none"
    : Object.entries(w.failed)
        .map(([k, v]) => `${k} × ${v}`)
        .join(", ");

export function tableLines(results: TargetResult[]): string[] {
  const rows: [string, (r: TargetResult) => string][] = [
    ["registered (200) / attempted, initial wave", (r) => `${r.initial.ok} / ${r.initial.attempted}`],
    ["REGISTER/s, initial wave (challenge + auth)", (r) => f(figures(r).initialPerS, 0)],
    ["refreshed (200) / attempted", (r) => `${r.refresh.ok} / ${r.refresh.attempted}`],
    ["REGISTER/s, refresh wave", (r) => f(figures(r).refreshPerS, 0)],
    ["401 challenges: initial / refresh", (r) => `${r.initial.challenged} / ${r.refresh.challenged}`],
    ["bindings held (its own count)", (r) => String(r.held)],
    [
      "PSS MB: idle / connected / registered / refreshed",
      (r) =>
        [r.pss.baseline, r.pss.connected, r.pss.registered, r.pss.refreshed].map((m) => f(m)).join(" / "),
    ],
    ["bytes per registration (registered − idle) / N", (r) => f(figures(r).bytesPerRegistration, 0)],
    ["  of which per connection (connected − idle)", (r) => f(figures(r).bytesPerConnection, 0)],
    ["  of which per binding (registered − connected)", (r) => f(figures(r).bytesPerBinding, 0)],
    [
      "CPU ms per REGISTER, initial / refresh",
      (r) => `${f(figures(r).cpuMsInitial, 3)} / ${f(figures(r).cpuMsRefresh, 3)}`,
    ],
    [
      "  of which in the kernel (system time), initial / refresh",
      (r) =>
        `${f((100 * r.systemCpu.initial) / Math.max(1, r.cpu.initial), 0)} % / ${f((100 * r.systemCpu.refresh) / Math.max(1, r.cpu.refresh), 0)} %`,
    ],
    [
      "load client CPU ms per REGISTER, initial / refresh",
      (r) =>
        `${f(r.clientCpu.initial / Math.max(1, r.initial.ok), 3)} / ${f(r.clientCpu.refresh / Math.max(1, r.refresh.ok), 3)}`,
    ],
    [
      "machine busy %, initial / refresh",
      (r) => `${f(r.machineBusyPct.initial, 0)} / ${f(r.machineBusyPct.refresh, 0)}`,
    ],
    [
      "failures: connect; initial; refresh",
      (r) => `${failures(r.connect)}; ${failures(r.initial)}; ${failures(r.refresh)}`,
    ],
  ];
  return [
    `| figure | ${results.map((r) => r.name).join(" | ")} |`,
    `| --- | ${results.map(() => "---").join(" | ")} |`,
    ...rows.map(([name, get]) => `| ${name} | ${results.map(get).join(" | ")} |`),
  ];
}

/** Hookline / Kamailio for each figure: above 1 is more (faster, or more bytes and CPU). */
export function ratioLines(h: TargetResult, k: TargetResult): string[] {
  const a = figures(h);
  const b = figures(k);
  const rows: [string, number, number][] = [
    ["REGISTER/s, initial", a.initialPerS, b.initialPerS],
    ["REGISTER/s, refresh", a.refreshPerS, b.refreshPerS],
    ["bytes per registration", a.bytesPerRegistration, b.bytesPerRegistration],
    ["CPU ms per REGISTER, initial", a.cpuMsInitial, b.cpuMsInitial],
    ["CPU ms per REGISTER, refresh", a.cpuMsRefresh, b.cpuMsRefresh],
  ];
  return [
    "| figure | Hookline | Kamailio | Hookline / Kamailio |",
    "| --- | --- | --- | --- |",
    ...rows.map(([n, x, y]) => `| ${n} | ${f(x, 3)} | ${f(y, 3)} | ${f(x / y, 2)}× |`),
  ];
}

/** Adds or replaces the "## Registrations" section (up to the next "## " heading) of the report. */
export function writeSection(body: string[]): string {
  const file = process.env.BENCH_REPORT ?? path.join(ROOT, "bench", "REPORT.md");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark report\n";
  const start = old.search(/^## Registrations$/m);
  let before = old;
  let after = "";
  if (start >= 0) {
    before = old.slice(0, start);
    const rest = old.slice(start + 1);
    const next = rest.search(/^## /m);
    after = next >= 0 ? rest.slice(next) : "";
  }
  const section = ["## Registrations", "", ...body, ""].join("\n");
  const text = `${before.replace(/\n*$/, "\n\n")}${section}${after ? `\n${after}` : ""}`;
  writeFileSync(file, text.endsWith("\n") ? text : `${text}\n`);
  return file;
}
