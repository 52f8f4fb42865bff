/**
 * The browser INVITE alone, for before/after comparisons and profiling (not a test):
 * `npx tsx bench/parse-invite.ts` prints the median CPU time per message over BENCH_REPS rounds of
 * BENCH_MS each, for the full parse (see `parse-touch.ts`) and for framing + header split only.
 * Profile with `node --cpu-prof --import tsx bench/parse-invite.ts`.
 */
import { parseMessage } from "../src/index.js";
import { BROWSER_INVITE } from "../src/conformance/browser-corpus.js";
import { parseAndTouch, touchSink } from "./parse-touch.js";

const ms = Number(process.env.BENCH_MS ?? 300);
const reps = Number(process.env.BENCH_REPS ?? 9);
const bytes = Buffer.from(BROWSER_INVITE, "utf8");
let sink = 0;

/** CPU microseconds per call of `fn` over one round of about `ms` milliseconds of wall clock. */
function cpuMicrosPerCall(fn: () => void): number {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() - start < limit) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
};

const full = (): void => parseAndTouch(bytes);
const frame = (): void => {
  const r = parseMessage(bytes, { strict: false });
  if (r.ok) sink += r.message.headers.length;
};
for (let i = 0; i < 5000; i++) {
  full();
  frame();
}
// BENCH_ONLY=full or frame runs that loop alone (for a profile of one of them).
const only = process.env.BENCH_ONLY;
const fullRuns: number[] = [];
const frameRuns: number[] = [];
for (let k = 0; k < reps; k++) {
  if (only !== "frame") fullRuns.push(cpuMicrosPerCall(full));
  if (only !== "full") frameRuns.push(cpuMicrosPerCall(frame));
}
const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : "-");
console.log(
  `INVITE full parse: median ${f(median(fullRuns))} µs/cpu (min ${f(Math.min(...fullRuns))}) over ${reps} × ${ms} ms`,
);
console.log(
  `INVITE framing + header split (strict: false): median ${f(median(frameRuns))} µs/cpu (min ${f(Math.min(...frameRuns))})`,
);
if (sink + touchSink() === 42) console.log("");
