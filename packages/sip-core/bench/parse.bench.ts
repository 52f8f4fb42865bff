/**
 * Parse benchmark (not a test): `npm run bench -w @hookline/sip-core`.
 * "Full parse" = framing + every header line split + typed Via, From, To, CSeq, Call-ID and
 * Contact, for sip-core (bytes in, as from a socket) and for sip.js 0.21 `Parser.parseMessage`
 * (string in, as from a WebSocket text frame; it parses those headers itself during the call).
 */
import { Parser } from "sip.js/lib/core/index.js";
import {
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getTo,
  getTopVia,
  parseMessage,
  serializeMessage,
} from "../src/index.js";
import type { SipMessage } from "../src/index.js";
import { BROWSER_CALL, BROWSER_INVITE } from "../src/conformance/browser-corpus.js";

const silent = { error() {}, warn() {}, log() {}, debug() {} } as unknown as Parameters<
  typeof Parser.parseMessage
>[1];
let sink = 0;

function oursFull(bytes: Uint8Array): void {
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error(r.error.message);
  const m = r.message;
  sink += (getTopVia(m)?.branch?.length ?? 0) + (getFrom(m)?.tag?.length ?? 0) + (getTo(m)?.uri.length ?? 0);
  sink += (getCSeq(m)?.seq ?? 0) + (getCallId(m)?.length ?? 0) + getContacts(m).length;
}

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

/** Operations per second of `fn`, run for about `ms` milliseconds after a warm-up. */
function rate(fn: () => void, ms: number): number {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  return (n * 1e9) / Number(elapsed);
}

const fmt = (x: number): string => Math.round(x).toLocaleString("en-US").padStart(12);
const ms = Number(process.env.BENCH_MS ?? 1000);

console.log(`sip-core parse benchmark — node ${process.version}, ${ms} ms per row, one core`);
console.log(`INVITE size ${Buffer.byteLength(BROWSER_INVITE)} bytes\n`);
console.log(
  `${"message".padEnd(10)}${"sip-core/s".padStart(12)}${"sip.js/s".padStart(12)}${"ratio".padStart(9)}`,
);
const rows: Array<[string, number, number]> = [];
for (const [name, text] of BROWSER_CALL) {
  const bytes = Buffer.from(text, "utf8");
  const ours = rate(() => oursFull(bytes), ms);
  const theirs = rate(() => theirsFull(text), Math.max(200, ms / 2));
  rows.push([name, ours, theirs]);
  console.log(`${name.padEnd(10)}${fmt(ours)}${fmt(theirs)}${(ours / theirs).toFixed(1).padStart(8)}x`);
}
// The mix: one of each, in call order.
const mixBytes = BROWSER_CALL.map(([, t]) => Buffer.from(t, "utf8"));
const mixText = BROWSER_CALL.map(([, t]) => t);
const oursMix = rate(() => mixBytes.forEach(oursFull), ms) * mixBytes.length;
const theirsMix = rate(() => mixText.forEach(theirsFull), Math.max(200, ms / 2)) * mixText.length;
console.log(
  `${"mix".padEnd(10)}${fmt(oursMix)}${fmt(theirsMix)}${(oursMix / theirsMix).toFixed(1).padStart(8)}x`,
);

// Framing + header split only (no typed access, lenient): the floor of the parser.
const inviteBytes = Buffer.from(BROWSER_INVITE, "utf8");
const frameOnly = rate(() => {
  const r = parseMessage(inviteBytes, { strict: false });
  if (r.ok) sink += r.message.headers.length;
}, ms);
console.log(`\nINVITE framing + header split only (strict: false): ${fmt(frameOnly).trim()}/s`);

const parsed = parseMessage(inviteBytes);
if (!parsed.ok) throw new Error("fixture");
const invite: SipMessage = parsed.message;
const ser = rate(() => {
  sink += serializeMessage(invite).byteLength;
}, ms);
console.log(`INVITE serialize: ${fmt(ser).trim()}/s`);
const inviteRow = rows.find(([n]) => n === "INVITE");
if (inviteRow !== undefined) {
  const [, o, t] = inviteRow;
  console.log(
    `\nINVITE full parse: sip-core ${fmt(o).trim()}/s vs sip.js ${fmt(t).trim()}/s = ${(o / t).toFixed(1)}x (targets: 300,000/s and 300x)`,
  );
}
if (sink === 42) console.log("");
