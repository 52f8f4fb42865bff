/**
 * What a V8 heap snapshot holds, by object kind: `tsx gateway/heap-summary.ts <file.heapsnapshot>`
 * (a snapshot from `BENCH_HEAP_SNAPSHOT=1 npm run bench:gateway`). Prints the total self size and
 * the kinds holding the most, with their counts, so that what a call keeps after it ended (parsed
 * messages, transactions, dialogs) can be weighed per call: divide by the `Call` count.
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) {
  console.error("usage: tsx gateway/heap-summary.ts <file.heapsnapshot> [rows]");
  process.exit(2);
}
const rows = Number(process.argv[3] ?? 40);
const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const fields = s.snapshot.meta.node_fields;
const types = s.snapshot.meta.node_types[0];
const [type, name, self] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
  number,
  number,
  number,
];
const kinds = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < s.nodes.length; i += fields.length) {
  const t = types[s.nodes[i + type]!]!;
  const key = t === "object" || t === "closure" ? `${t}:${s.strings[s.nodes[i + name]!]!.slice(0, 60)}` : t;
  const k = kinds.get(key) ?? { count: 0, bytes: 0 };
  k.count++;
  k.bytes += s.nodes[i + self]!;
  kinds.set(key, k);
  total += s.nodes[i + self]!;
}
console.log(`total self size ${(total / 1e6).toFixed(1)} MB in ${kinds.size} kinds`);
for (const [key, k] of [...kinds].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, rows))
  console.log(`${(k.bytes / 1e6).toFixed(2).padStart(8)} MB ${String(k.count).padStart(9)}  ${key}`);
