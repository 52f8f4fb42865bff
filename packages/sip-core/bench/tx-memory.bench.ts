/**
 * Heap held by finished transactions (not a test):
 *   node --expose-gc --import tsx packages/sip-core/bench/tx-memory.bench.ts [calls, default 20000]
 *
 * Runs N calls through one TransactionLayer over an unreliable (UDP-like) fake transport, the way
 * the gateway does per call: the caller's INVITE challenged with 407 (IST → Completed → ACK →
 * Confirmed), the INVITE again, 180 and 200 (IST → Accepted), its ACK (own branch, to the TU); the
 * gateway's INVITE to the callee answered 100/180/200 (ICT → Accepted); the caller's BYE answered
 * 200 (NIST → Completed) and the gateway's BYE to the callee answered 200 (NICT → Completed). Every
 * message comes from the real parser, from bytes. Nothing advances time, so every transaction is
 * still waiting on its RFC 3261 §17 / RFC 6026 timer (I, L, M, J, K): what the heap holds then is
 * what finished transactions keep. Then every timer fires and the heap is measured again.
 */
import { writeHeapSnapshot } from "node:v8";
import { createResponse, FakeTimers, parseMessage, TransactionLayer } from "../src/index.js";
import type { SipMessage, SipRequest, SipResponse, Transport } from "../src/index.js";
import { ACK, BROWSER_INVITE, BYE, OK_200, RINGING, TRYING } from "../src/conformance/browser-corpus.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc --import tsx");
const collect = gc;

const N = Number(process.argv[2] ?? 20_000);

/** Fires every timer (and whatever those set) until none is left: the clock jumps past every wait. */
function fireAll(timers: FakeTimers): void {
  while (timers.pending > 0) timers.advance(3_600_000);
}

const udp: Transport = { reliable: false, send(_m: SipMessage) {} };

function parse(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}
const request = (text: string) => parse(text) as SipRequest;
const response = (text: string) => parse(text) as SipResponse;

/** The corpus message with this call's own Call-ID and branches, so every key is new. */
function variant(text: string, i: number, branch: string): string {
  return text
    .replaceAll("3pl2aj6tfo8tgdo1b4bp", `call${i}x3pl2aj6`)
    .replace(/branch=z9hG4bK\w+/, `branch=z9hG4bK${branch}${i}`);
}

function call(layer: TransactionLayer, i: number): void {
  // The caller's INVITE, challenged (RFC 3261 §22.3), ACKed on the same branch (§17.1.1.3).
  const first = request(variant(BROWSER_INVITE.replace(/Proxy-Authorization: [^\r]*\r\n/, ""), i, "c1"));
  const challenged = layer.receiveRequest(first, udp);
  if (challenged.kind !== "new") throw new Error(challenged.kind);
  challenged.transaction.respond(
    createResponse(first, 407, "Proxy Authentication Required", { toTag: "gw1" }),
  );
  const ack407 = variant(ACK, i, "c1")
    .replace("ACK sip:bob@198.51.100.20:5060", "ACK sip:bob@acme.sip.example")
    .replace(";tag=as5f8d8a2b", ";tag=gw1");
  layer.receiveRequest(request(ack407), udp);

  // The INVITE again with credentials: 180, 200 (→ Accepted), then the 2xx's ACK (own branch).
  const invite = request(variant(BROWSER_INVITE.replace("CSeq: 2", "CSeq: 3"), i, "c2"));
  const inbound = layer.receiveRequest(invite, udp);
  if (inbound.kind !== "new") throw new Error(inbound.kind);
  inbound.transaction.respond(createResponse(invite, 180, "Ringing", { toTag: "gw2" }));
  inbound.transaction.respond(
    createResponse(invite, 200, "OK", { toTag: "gw2", body: OK_200.slice(OK_200.indexOf("\r\n\r\n") + 4) }),
  );
  layer.receiveRequest(request(variant(ACK, i, "a")), udp);

  // The gateway's INVITE to the callee: 100, 180, 200 (→ Accepted).
  const outbound = layer.createClientTransaction(request(variant(BROWSER_INVITE, i, "g1")), udp);
  outbound.start();
  for (const text of [TRYING, RINGING, OK_200]) layer.receiveResponse(response(variant(text, i, "g1")));

  // BYE from the caller (→ NIST Completed) and to the callee (→ NICT Completed).
  const bye = request(variant(BYE, i, "b"));
  const nist = layer.receiveRequest(bye, udp);
  if (nist.kind !== "new") throw new Error(nist.kind);
  nist.transaction.respond(createResponse(bye, 200, "OK"));
  const byeOut = layer.createClientTransaction(request(variant(BYE, i, "g2")), udp);
  byeOut.start();
  const byeOk = variant(OK_200, i, "g2").replace("CSeq: 2 INVITE", "CSeq: 3 BYE");
  layer.receiveResponse(response(byeOk));
}

function heap(): { used: number; buffers: number } {
  collect();
  collect();
  const m = process.memoryUsage();
  return { used: m.heapUsed, buffers: m.arrayBuffers };
}

const timers = new FakeTimers();
const layer = new TransactionLayer({ timers, autoTryingMs: false });
for (let i = 0; i < 200; i++) call(layer, -1 - i); // warm up the code, not the figures
fireAll(timers);

const before = heap();
const cpu = process.cpuUsage();
for (let i = 0; i < N; i++) call(layer, i);
const { user, system } = process.cpuUsage(cpu);
const held = heap();
// TX_HEAP_SNAPSHOT=<file>: what is held, for bench/gateway/heap-summary.ts.
if (process.env.TX_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.TX_HEAP_SNAPSHOT);
const live = layer.size;
const pending = timers.pending;
fireAll(timers);
const after = heap();

const kb = (bytes: number) => (bytes / 1024).toFixed(2);
const perCall = (a: { used: number; buffers: number }) =>
  `${kb((a.used - before.used) / N)} KB heap + ${kb((a.buffers - before.buffers) / N)} KB array buffers`;
console.log(`${N} calls, 5 transactions each (IST 407, IST 200, ICT 200, NIST 200, NICT 200) and 2 ACKs`);
console.log(`live: ${live.server} server + ${live.client} client transactions, ${pending} timers pending`);
console.log(`held per call while the timers run: ${perCall(held)}`);
console.log(
  `CPU per call (parsing included, garbage collection too): ${((user + system) / N).toFixed(1)} µs`,
);
console.log(
  `per call after every timer fired:  ${perCall(after)} (layer size ${JSON.stringify(layer.size)})`,
);
