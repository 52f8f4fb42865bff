/**
 * Summarizes a V8 .cpuprofile (BENCH_REG_CPU_PROF=1, or bench/gateway's BENCH_CPU_PROF): the
 * functions with the most self time, and the most inclusive time (a function counted once per
 * sample however deep it recurses), each as ms and share of the sampled time.
 * Not a test: `npx tsx bench/registrations/profile.ts <file.cpuprofile> [rows] [filter]`, where
 * `filter` keeps only the samples whose stack has a frame whose name or file contains it (`!text`:
 * only those whose stack has none, e.g. `!hono` leaves out the REST API's provisioning), and
 * `(idle)` samples are left out of the shares. Frames in the gateway's bundle (`npm start` runs
 * apps/gateway/build/main.js) are named by their TypeScript source, through its source map.
 */
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { fileURLToPath } from "node:url";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg, filter] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: profile.ts <file.cpuprofile> [rows] [filter]");
const rows = Number(rowsArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Each bundle's source map, read once; undefined for a file without one. */
const maps = new Map<string, SourceMap | undefined>();
function sourceMap(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined;
    try {
      if (url.startsWith("file:") && url.endsWith(".js"))
        map = new SourceMap(
          JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, "utf8")) as SourceMapPayload,
        );
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** A frame's file and 0-based line, in the TypeScript source when the frame is in a bundle. */
function place({ url, lineNumber, columnNumber }: Node["callFrame"]): { url: string; lineNumber: number } {
  const entry = sourceMap(url)?.findEntry(lineNumber, columnNumber);
  // The map names each source relative to the bundle.
  if (entry && "originalSource" in entry)
    return { url: new URL(entry.originalSource, url).href, lineNumber: entry.originalLine };
  return { url, lineNumber };
}

const label = (n: Node) => {
  const { functionName } = n.callFrame;
  const { url, lineNumber } = place(n.callFrame);
  const short = url.replace(/^.*\/node_modules\//, "~/").replace(/^.*\/(apps|packages)\//, "$1/");
  return `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  const stack: Node[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!);
  if (label(stack[0]!).startsWith("(idle)")) return;
  if (filter !== undefined) {
    const exclude = filter.startsWith("!");
    const text = exclude ? filter.slice(1) : filter;
    if (stack.some((n) => label(n).includes(text)) === exclude) return;
  }
  total += dt;
  const leaf = stack[0]!;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  for (const l of new Set(stack.map(label))) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
});

const top = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(
      ([l, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${l}`,
    );

console.log(`${file}: ${total.toFixed(0)} ms sampled${filter ? ` (stacks with "${filter}")` : ""}`);
console.log("\nself time:");
console.log(top(self).join("\n"));
console.log("\ninclusive time:");
console.log(top(inclusive).join("\n"));
