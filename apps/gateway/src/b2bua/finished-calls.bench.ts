/**
 * Heap held by calls that have ended (not a test):
 *   HOOKLINE_LOG_LEVEL=warn node --expose-gc --import tsx apps/gateway/src/b2bua/finished-calls.bench.ts [calls, default 5000]
 *
 * Runs N calls through the B2BUA over UDP-like transports, from bytes through the real parser and
 * a real SQLite call store: alice's INVITE, bob's 200 and its ACK, alice's ACK, alice's BYE
 * relayed to bob and both answered 200. Nothing advances time, so every call is still remembered
 * the way late ACK/BYE and retransmitted 2xx need (RFC 6026 Timers L and M, RFC 3261 §17.2.2 Timer
 * J and §17.1.2.2 Timer K, the B2BUA's ended dialogs for 64*T1). The transaction layer and the
 * B2BUA run on clocks of their own, so what each keeps is weighed apart: first the B2BUA's timers
 * fire (its ended dialogs are forgotten), then the layer's.
 */
import { writeHeapSnapshot } from "node:v8";
import {
  FakeTimers,
  getCallId,
  getCSeq,
  getTo,
  parseMessage,
  TransactionLayer,
  type SipMessage,
  type SipRequest,
} from "@hookline/sip-core";
import { addTenant, DOMAIN, tempDatabase } from "../registrar/test-support.js";
import type { Flow } from "../transport/types.js";
import { B2bua } from "./b2bua.js";
import { CallRecorder } from "./call-recorder.js";
import { passThroughMedia } from "./media-port.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc --import tsx");
const collect = gc;
const N = Number(process.argv[2] ?? 5000);
const print = (line: string) => void process.stdout.write(`${line}\n`);

/** Fires every timer (and whatever those set) until none is left: the clock jumps past every wait. */
function fireAll(timers: FakeTimers): void {
  while (timers.pending > 0) timers.advance(3_600_000);
}

const alice: Flow = { transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5070 };
const bob: Flow = { transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5080 };
/** The last message sent to each side, as bytes: the bench keeps no parsed message itself. */
const last = new Map<Flow, Buffer[]>();
function sendTo(flow: Flow, message: SipMessage): void {
  const list = last.get(flow) ?? [];
  list.push(Buffer.from(serializeText(message), "latin1"));
  last.set(flow, list);
}
function serializeText(m: SipMessage): string {
  const start = m.kind === "request" ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const head = m.headers.map((h) => `${h.name}: ${h.value}`).join("\r\n");
  const body = m.body === undefined ? "" : Buffer.from(m.body).toString("latin1");
  return `${start}\r\n${head}\r\n\r\n${body}`;
}
function take(flow: Flow, pick: (m: SipMessage) => boolean): SipMessage {
  const list = last.get(flow) ?? [];
  for (const bytes of list) {
    const r = parseMessage(bytes);
    if (r.ok && pick(r.message)) return r.message;
  }
  throw new Error("expected message not sent");
}
const parse = (text: string) => {
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
};
/** One transport per side, made once: what the bench weighs is the B2BUA's, not its own. */
const transports = new Map(
  [alice, bob].map((flow) => [flow, { reliable: false, send: (m: SipMessage) => sendTo(flow, m) }]),
);
const udpTo = (flow: Flow) => transports.get(flow)!;
const fromAlice = udpTo(alice);

const temp = tempDatabase();
const tenant = addTenant(temp.database, DOMAIN, { alice: "secret", bob: "hunter2" });
const layerTimers = new FakeTimers();
const b2buaTimers = new FakeTimers();
const layer = new TransactionLayer({ timers: layerTimers, autoTryingMs: false });
const recorder = new CallRecorder(temp.database.db, undefined);
const b2bua = new B2bua({
  layer,
  directory: {
    findDomain: (name) =>
      name === DOMAIN ? { domainId: tenant.domainId, accountId: tenant.accountId, name } : undefined,
    lookup: () => [{ contact: `sip:bob@127.0.0.1:5080`, flow: bob }],
    userExists: (_d, user) => user === "bob",
    authenticate: () => Promise.resolve({ ok: true, username: "alice" }),
  },
  recorder,
  send: (message, flow) => {
    sendTo(flow, message);
    return Promise.resolve();
  },
  transportFor: udpTo,
  localAddress: () => ({ transport: "UDP", host: "127.0.0.1", port: 5060 }),
  timers: b2buaTimers,
  ringTimeoutMs: 60_000,
  t1Ms: 500,
  media: passThroughMedia,
});

const OFFER =
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

const isMethod = (method: string) => (m: SipMessage) => m.kind === "request" && m.method === method;

async function call(i: number): Promise<void> {
  last.clear();
  const callId = `call${i}x3pl2aj6tfo8@alice.example`;
  const invite = parse(
    `INVITE sip:bob@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKi${i}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a${i}\r\nTo: <sip:bob@${DOMAIN}>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\n` +
      `Content-Type: application/sdp\r\nContent-Length: ${OFFER.length}\r\n\r\n${OFFER}`,
  ) as SipRequest;
  const ist = layer.receiveRequest(invite, fromAlice);
  if (ist.kind !== "new") throw new Error(ist.kind);
  const done = b2bua.onInvite(invite, alice, ist.transaction as Parameters<B2bua["onInvite"]>[2]);
  await settle();

  // bob answers; the B2BUA ACKs him and answers alice.
  const out = take(bob, isMethod("INVITE")) as SipRequest;
  const okText = (req: SipRequest, sdp: string) =>
    `SIP/2.0 200 OK\r\n${req.headers
      .filter((h) => ["via", "from", "call-id", "cseq"].includes(h.name.toLowerCase()))
      .map((h) => `${h.name}: ${h.value}`)
      .join("\r\n")}\r\nTo: ${getTo(req)?.uri ? `<${getTo(req)?.uri}>` : "<sip:bob@x>"};tag=b${i}\r\n` +
    `Contact: <sip:bob@127.0.0.1:5080>\r\n${sdp ? "Content-Type: application/sdp\r\n" : ""}` +
    `Content-Length: ${sdp.length}\r\n\r\n${sdp}`;
  layer.receiveResponse(parse(okText(out, OFFER)) as never);
  await settle();

  // alice ACKs the 2xx (a branch of its own, RFC 3261 §13.2.2.4).
  const ok = take(alice, (m) => m.kind === "response" && m.status === 200);
  const tag = getTo(ok)?.tag ?? "";
  const inDialog = (method: string, seq: number, branch: string) =>
    parse(
      `${method} sip:gw@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${branch}${i}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a${i}\r\nTo: <sip:bob@${DOMAIN}>;tag=${tag}\r\n` +
        `Call-ID: ${callId}\r\nCSeq: ${seq} ${method}\r\nContent-Length: 0\r\n\r\n`,
    ) as SipRequest;
  const ack = inDialog("ACK", 1, "k");
  layer.receiveRequest(ack, fromAlice);
  b2bua.onAck(ack);
  await settle();

  // alice hangs up; the B2BUA answers her and sends bob a BYE, which he answers.
  const bye = inDialog("BYE", 2, "y");
  const nist = layer.receiveRequest(bye, fromAlice);
  if (nist.kind !== "new") throw new Error(nist.kind);
  b2bua.onInDialog(bye, nist.transaction);
  await settle();
  const byeOut = take(bob, isMethod("BYE")) as SipRequest;
  layer.receiveResponse(parse(okText(byeOut, "")) as never);
  await settle();
  await done;
  if (getCallId(byeOut) === undefined || getCSeq(byeOut)?.method !== "BYE") throw new Error("no BYE");
  last.clear();
}

/** Heap and array buffers (Buffers' memory, outside the heap but in the process's PSS). */
function heap(): { heap: number; buffers: number } {
  collect();
  collect();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

for (let i = 0; i < 100; i++) await call(-1 - i); // warm up the code, not the figures
fireAll(b2buaTimers);
fireAll(layerTimers);
await recorder.flush();

const before = heap();
const cpu = process.cpuUsage();
for (let i = 0; i < N; i++) await call(i);
const { user, system } = process.cpuUsage(cpu);
await recorder.flush();
const held = heap();
// FINISHED_HEAP_SNAPSHOT=<file>: what is held, for bench/gateway/heap-summary.ts.
if (process.env.FINISHED_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.FINISHED_HEAP_SNAPSHOT);
const dialogs = b2bua.dialogs.size;
const transactions = layer.size;
const invites = b2bua.pendingInvites;
const pending = { b2bua: b2buaTimers.pending, layer: layerTimers.pending };
fireAll(b2buaTimers);
const withoutDialogs = heap();
fireAll(layerTimers);
const after = heap();

type Heap = ReturnType<typeof heap>;
const kb = (a: Heap, b: Heap) =>
  `${((a.heap - b.heap) / N / 1024).toFixed(2)} KB heap + ` +
  `${((a.buffers - b.buffers) / N / 1024).toFixed(2)} KB array buffers`;
print(`${N} calls ended (INVITE 200 ACK, BYE 200 on each side, UDP)`);
print(
  `remembered: ${dialogs.ended} ended legs, ${invites} callers' INVITEs, ` +
    `${transactions.server} server + ${transactions.client} client transactions`,
);
print(`timers pending: ${pending.b2bua} in the B2BUA, ${pending.layer} in the transaction layer`);
print(`held per ended call while the timers run: ${kb(held, before)}`);
print(`  of which the B2BUA's ended dialogs (gone with its timers): ${kb(held, withoutDialogs)}`);
print(`  of which the transactions and what hangs on them: ${kb(withoutDialogs, after)}`);
print(
  `CPU per call (parsing, SQLite and garbage collection included): ${((user + system) / N).toFixed(1)} µs`,
);
print(
  `per call after every timer fired: ${kb(after, before)} ` +
    `(live calls ${b2bua.activeCalls}, ended legs ${b2bua.dialogs.size.ended}, INVITEs ${b2bua.pendingInvites})`,
);
temp.close();
