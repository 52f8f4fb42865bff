/**
 * Parse benchmark (not a test): `npm run bench -w @hookline/sip-core`.
 * "Full parse" = framing + every header line split + the typed values the gateway reads, all
 * touched before a message counts (so that parsing on first access cannot flatter the figure):
 * top Via (branch, rport, received), From and To (URI, tag), Call-ID, CSeq, Contact, Max-Forwards,
 * Content-Length, Content-Type, Route, Record-Route, Authorization and Proxy-Authorization. That is
 * for sip-core (bytes in, as from a socket); sip.js 0.21 `Parser.parseMessage` (string in, as from
 * a WebSocket text frame) parses Via, From, To, CSeq, Call-ID itself during the call.
 */
import { Parser } from "sip.js/lib/core/index.js";
import { parseMessage, serializeMessage } from "../src/index.js";
import type { SipMessage } from "../src/index.js";
import { BROWSER_CALL, BROWSER_INVITE } from "../src/conformance/browser-corpus.js";
import { parseAndTouch, touchSink } from "./parse-touch.js";

const silent = { error() {}, warn() {}, log() {}, debug() {} } as unknown as Parameters<
  typeof Parser.parseMessage
>[1];
let sink = 0;

const oursFull = parseAndTouch;

interface SipJsParsed {
  via?: { branch?: string };
  from?: { getParam(n: string): string | undefined };
  to?: { uri: unknown };
  cseq?: number;
  callId?: string;
  headers: Record<string, Array<{ parsed?: unknown }> | undefined>;
}

function theirsFull(text: string): void {
  const m = Parser.parseMessage(text, silent) as unknown as SipJsParsed | undefined;
  if (m === undefined) throw new Error("sip.js rejected the message");
  sink +=
    (m.via?.branch?.length ?? 0) + (m.from?.getParam("tag")?.length ?? 0) + (m.to?.uri === undefined ? 0 : 1);
  sink += (m.cseq ?? 0) + (m.callId?.length ?? 0) + (m.headers.Contact?.length ?? 0);
}

/** Throughput of one measured loop: per wall-clock second and per second of this process's CPU time. */
interface Rate {
  wall: number;
  cpu: number;
}

/**
 * Operations per second of `fn`, run for about `ms` milliseconds after a warm-up, by the wall clock
 * and by process CPU time (`process.cpuUsage()`, user + system, around the same loop). On a shared
 * machine the wall-clock figure drops whenever another process takes the core; the CPU-time figure
 * counts only the time this process actually ran, so it is the one that holds.
 */
function rate(fn: () => void, ms: number): Rate {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMicros = cpu.user + cpu.system;
  return { wall: (n * 1e9) / Number(elapsed), cpu: (n * 1e6) / cpuMicros };
}

const times = (r: Rate, k: number): Rate => ({ wall: r.wall * k, cpu: r.cpu * k });

const fmt = (x: number): string => Math.round(x).toLocaleString("en-US").padStart(12);
const ms = Number(process.env.BENCH_MS ?? 1000);

console.log(`sip-core parse benchmark — node ${process.version}, ${ms} ms per row, one core`);
console.log(`INVITE size ${Buffer.byteLength(BROWSER_INVITE)} bytes`);
console.log(
  "sip-core rows touch, per message: top Via (branch, received, rport), From/To (URI, tag), Call-ID,\n" +
    "CSeq, Contact, Max-Forwards, Content-Length, Content-Type, Route, Record-Route, Authorization,\n" +
    "Proxy-Authorization (typed values, as the gateway reads them).",
);
console.log(
  "msgs/s = per wall-clock second; msgs/cpu-s = per second of this process's CPU time (user+system).\n" +
    "CPU time is the figure that holds on a shared machine (wall clock also counts time other processes had the core).\n",
);
console.log(
  `${"message".padEnd(10)}${"sip-core/s".padStart(12)}${"/cpu-s".padStart(12)}` +
    `${"sip.js/s".padStart(12)}${"/cpu-s".padStart(12)}${"ratio".padStart(9)}${"ratio cpu".padStart(11)}`,
);
const row = (name: string, o: Rate, t: Rate): void => {
  console.log(
    `${name.padEnd(10)}${fmt(o.wall)}${fmt(o.cpu)}${fmt(t.wall)}${fmt(t.cpu)}` +
      `${(o.wall / t.wall).toFixed(1).padStart(8)}x${(o.cpu / t.cpu).toFixed(1).padStart(10)}x`,
  );
};
const rows: Array<[string, Rate, Rate]> = [];
for (const [name, text] of BROWSER_CALL) {
  const bytes = Buffer.from(text, "utf8");
  const ours = rate(() => oursFull(bytes), ms);
  const theirs = rate(() => theirsFull(text), Math.max(200, ms / 2));
  rows.push([name, ours, theirs]);
  row(name, ours, theirs);
}
// The mix: one of each, in call order.
const mixBytes = BROWSER_CALL.map(([, t]) => Buffer.from(t, "utf8"));
const mixText = BROWSER_CALL.map(([, t]) => t);
const oursMix = times(
  rate(() => mixBytes.forEach(oursFull), ms),
  mixBytes.length,
);
const theirsMix = times(
  rate(() => mixText.forEach(theirsFull), Math.max(200, ms / 2)),
  mixText.length,
);
row("mix", oursMix, theirsMix);

// Framing + header split only (no typed access, lenient): the floor of the parser.
const inviteBytes = Buffer.from(BROWSER_INVITE, "utf8");
const frameOnly = rate(() => {
  const r = parseMessage(inviteBytes, { strict: false });
  if (r.ok) sink += r.message.headers.length;
}, ms);
console.log(
  `\nINVITE framing + header split only (strict: false): ${fmt(frameOnly.wall).trim()}/s, ${fmt(frameOnly.cpu).trim()}/cpu-s`,
);

const parsed = parseMessage(inviteBytes);
if (!parsed.ok) throw new Error("fixture");
const invite: SipMessage = parsed.message;
const ser = rate(() => {
  sink += serializeMessage(invite).byteLength;
}, ms);
console.log(`INVITE serialize: ${fmt(ser.wall).trim()}/s, ${fmt(ser.cpu).trim()}/cpu-s`);
const inviteRow = rows.find(([n]) => n === "INVITE");
if (inviteRow !== undefined) {
  const [, o, t] = inviteRow;
  console.log(
    `\nINVITE full parse (CPU time): sip-core ${fmt(o.cpu).trim()}/cpu-s (${(1e6 / o.cpu).toFixed(2)} µs) vs sip.js ${fmt(t.cpu).trim()}/cpu-s = ${(o.cpu / t.cpu).toFixed(1)}x (target: 500,000/s, 2 µs)`,
  );
  console.log(
    `INVITE full parse (wall clock): sip-core ${fmt(o.wall).trim()}/s vs sip.js ${fmt(t.wall).trim()}/s = ${(o.wall / t.wall).toFixed(1)}x`,
  );
}
if (sink + touchSink() === 42) console.log("");
