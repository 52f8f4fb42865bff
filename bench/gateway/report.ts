/**
 * bench/REPORT.md: the gateway benchmark's latest figures, committed as the reference — every
 * step of every row, the full peer's figures from the same run, Hookline's ratios against them,
 * the peer's pre-flight, the machine and the command. Each run rewrites it whole.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { ROOT } from "./processes.js";
import { fmt, ratios, summaryRows, TABLE_NOTE, type Runs, type Step } from "./summary.js";

/** A tool's version from what it prints (on stdout or stderr, with any exit code). */
function version(cmd: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return pattern.exec(`${r.stdout ?? ""}${r.stderr ?? ""}`)?.[1] ?? "?";
}

/** The command as run, with the BENCH_* options that were set. */
function command(): string {
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith("BENCH_"))
    .map(([k, v]) => `${k}=${v ?? ""} `)
    .join("");
  return `${env}npm run bench:gateway -w @hookline/bench`;
}

function machine(): string[] {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
  return [
    `- CPU: ${model}, nproc ${cpus().length}; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}; Kamailio ${version("kamailio", ["-v"], /version: kamailio (\S+)/)}; ` +
      `rtpengine ${version("rtpengine", ["--version"], /Version: (\S+)/)}; ` +
      `SIPp ${version("sipp", ["-v"], /SIPp (v[\d.]+)/)}`,
    "- shared with other work: the machine's busy share during each step is in the step tables",
  ];
}

function steps(name: string, list: Step[]): string[] {
  if (list.length === 0) return [`${name}: no step measured.`, ""];
  return [
    `${name}:`,
    "",
    "| cps | ok / offered | failed % | CPU ms/call | main process | memory MB | setup ms | machine busy % | SIPp UAS ms/call | passed |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...list.map(
      (s) =>
        `| ${s.rate} | ${s.successful} / ${s.created} | ${fmt(s.failedPct)} | ${fmt(s.cpuMsPerCall)} | ` +
        `${fmt(s.mainCpuMsPerCall)} | ${fmt(s.memoryMb, 0)} | ${s.responseTimeMs === undefined ? "?" : fmt(s.responseTimeMs, 0)} | ` +
        `${fmt(s.machineBusyPct, 0)} | ${fmt(s.uasCpuMsPerCall)} | ${s.ok ? "yes" : "no"} |`,
    ),
    "",
  ];
}

export function writeReport(r: Runs, o: { settings: string; rtpengine: string; seconds: number }): string {
  const file = process.env.BENCH_REPORT ?? path.join(ROOT, "bench", "REPORT.md");
  const rs = ratios(r);
  const lines = [
    "# Benchmark report: the gateway against its like-for-like peer",
    "",
    `Written by \`npm run bench\` (its gateway part: \`${command()}\`) on ` +
      `${new Date().toISOString()}, ${o.seconds.toFixed(0)} s. Committed as the latest figures; ` +
      "a run rewrites it (README, Benchmarks).",
    "",
    "## Machine",
    "",
    ...machine(),
    "",
    "## Settings",
    "",
    `- ${o.settings}`,
    `- the full peer: Kamailio (bench/gateway/kamailio-peer.cfg) + ${o.rtpengine}; SIP trace: siptrace ` +
      "(trace_mode 2, every message received or sent) into db_flatstore files",
    "- callers: SIPp, bench/gateway/uac-call-auth.xml (Hookline and the full peer), uac-call-noauth.xml " +
      "(bare relay); SDP offered, no RTP sent, on both sides alike",
    "",
    "## Summary",
    "",
    ...summaryRows(r),
    "",
    TABLE_NOTE,
    "",
    "## Hookline against the full peer (same run)",
    "",
    ...(rs.length === 0
      ? ["No ratio: one of them passed no step."]
      : [
          "| figure | Hookline | full peer | ratio | target | |",
          "| --- | --- | --- | --- | --- | --- |",
          ...rs.map(
            (x) =>
              `| ${x.what} | ${fmt(x.hookline)} | ${fmt(x.peer)} | ${fmt(x.ratio)}× | ${x.target} | ${x.met ? "met" : "**not met**"} (${x.note}) |`,
          ),
        ]),
    "",
    "## The full peer's pre-flight (5 calls at 5 cps, before it was measured)",
    "",
    ...r.preflight.lines.map((l) => `- ${l}`),
    "",
    "## Every step",
    "",
    ...steps("Kamailio full peer", r.peer),
    ...steps("Hookline", r.hookline),
    ...(r.withApp ? steps("Hookline+app", r.withApp) : []),
    ...steps("Kamailio bare relay", r.kamailio),
  ];
  writeFileSync(file, lines.join("\n") + keptSections(file));
  return file;
}

/** The registration benchmark's section of an existing report (bench/registrations/report.ts), kept. */
function keptSections(file: string): string {
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  const start = old.search(/^## Registrations$/m);
  return start < 0 ? "" : `\n${old.slice(start)}`;
}
