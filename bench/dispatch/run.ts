/**
 * Dispatch benchmark: what it costs to carry SIP signalling on several threads in Node 20, where a
 * UDP port cannot be shared by `reusePort` (docs/performance.md, several cores). One thread owns the
 * socket and hands each datagram to the worker thread that owns its call, chosen by a hash of the
 * Call-ID read straight from the bytes; the worker parses the message, does the call's work and
 * posts its response back, and the owning thread sends it. Measured against the same work done on
 * the one thread that reads the socket (today's gateway):
 *
 *   inline     the socket's thread parses, works and answers every message
 *   workers=N  the socket's thread dispatches; N worker threads parse, work and answer
 *
 * "Work" stands in for what the gateway does per message beyond parsing (transactions, B2BUA,
 * media and trace requests): the message parsed BENCH_DISPATCH_WORK_PARSES more times, 25 by
 * default, about 110 µs (bench/REPORT.md: 2.24 CPU ms per call in the gateway's process for about
 * 20 messages), a fixed amount of CPU however busy the machine is. A load
 * process (this file, forked with `load`) keeps BENCH_DISPATCH_WINDOW requests in flight, each a
 * desk phone's INVITE with a Call-ID of its own, for BENCH_DISPATCH_S seconds per mode.
 *
 * Reported per mode: messages answered per second; CPU µs per message of the whole process and of
 * the socket's thread alone (its CPU time in /proc/self/task, whatever the machine's load). The
 * socket thread's cost per message bounds what N workers can carry: 1e6 / that cost messages/s.
 * Not a test: `npm run bench:dispatch -w @hookline/bench`.
 */
import dgram from "node:dgram";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { startModuleWorker } from "@hookline/db";
import { createResponse, parseMessage, serializeMessage } from "@hookline/sip-core";

const WORK_PARSES = Number(process.env.BENCH_DISPATCH_WORK_PARSES ?? 25);
const SECONDS = Number(process.env.BENCH_DISPATCH_S ?? 5);
const WINDOW = Number(process.env.BENCH_DISPATCH_WINDOW ?? 64);
const HERE = fileURLToPath(import.meta.url);
const CLK_TCK = 100;
/** The report, on stdout. */
const print = (text: string) => void process.stdout.write(`${text}\n`);

/** A desk phone's INVITE with SDP (about 900 bytes); `CALLID` is replaced per request. */
const INVITE = [
  "INVITE sip:bob@bench.example SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-CALLID;rport",
  "Max-Forwards: 70",
  'From: "Alice" <sip:alice@bench.example>;tag=a-CALLID',
  "To: <sip:bob@bench.example>",
  "Call-ID: CALLID@127.0.0.1",
  "CSeq: 1 INVITE",
  "Contact: <sip:alice@127.0.0.1:5070;transport=udp>",
  "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY",
  "Supported: replaces, timer",
  "User-Agent: Bench-Phone/1.0",
  "Content-Type: application/sdp",
  "",
  "v=0",
  "o=- 20518 0 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6004 RTP/AVP 0 8 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=ptime:20",
  "a=sendrecv",
  "",
].join("\r\n");

function invite(callId: string): Buffer {
  const text = INVITE.replaceAll("CALLID", callId);
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  return Buffer.from(text.replace("\r\n\r\n", `\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`));
}

/** A datagram between the socket's thread and a worker: its bytes and where it came from or goes. */
interface Datagram {
  bytes: Uint8Array;
  port: number;
  address: string;
}

/**
 * The call's work beyond parsing, as a fixed amount of CPU however busy the machine is: the
 * message parsed again WORK_PARSES times (the gateway's own work allocates and collects alike).
 */
function work(bytes: Uint8Array): void {
  for (let i = 0; i < WORK_PARSES; i++) if (!parseMessage(bytes).ok) throw new Error("unparsable");
}

/** The 200 to a request, as bytes, after the parse and the work. */
function answer(bytes: Uint8Array): Uint8Array | undefined {
  const parsed = parseMessage(bytes);
  if (!parsed.ok || parsed.message.kind !== "request") return undefined;
  work(bytes);
  return serializeMessage(createResponse(parsed.message, 200, "OK", { toTag: "d1" }));
}

const CALL_ID = Buffer.from("call-id");

/** Where a header line starting at `line` has the Call-ID's value (RFC 3261 §7.3.3, any case, or `i`), or -1. */
function callIdValue(b: Buffer, line: number): number {
  let at = line;
  if ((b[at]! | 0x20) === 0x63) {
    for (let k = 0; k < CALL_ID.length; k++) if ((b[at + k]! | 0x20) !== CALL_ID[k]) return -1;
    at += CALL_ID.length;
  } else if ((b[at]! | 0x20) === 0x69) at += 1;
  else return -1;
  while (b[at] === 32 || b[at] === 9) at++;
  if (b[at] !== 58) return -1;
  at++;
  while (b[at] === 32 || b[at] === 9) at++;
  return at;
}

/**
 * FNV-1a of the Call-ID's value, read from the bytes without parsing the message. A message
 * without one goes to worker 0, whose parser answers it (400, RFC 3261 §8.1.1).
 */
function callIdHash(bytes: Uint8Array): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let nl = b.indexOf(10); nl >= 0; nl = b.indexOf(10, nl + 1)) {
    if (b[nl + 1] === 13) return 0; // the empty line: no Call-ID in the header section
    let at = callIdValue(b, nl + 1);
    if (at < 0) continue;
    let h = 0x811c9dc5;
    for (; at < b.length && b[at] !== 13; at++) h = Math.imul(h ^ b[at]!, 0x01000193);
    return h >>> 0;
  }
  return 0;
}

/** CPU ms of this process's main thread (the socket's), from /proc: user + system ticks. */
function socketThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

interface ModeResult {
  mode: string;
  answered: number;
  perSecond: number;
  cpuUsPerMessage: number;
  socketThreadUsPerMessage: number;
}

/** One mode: the socket, its dispatch (or none), the load, the figures. */
async function measure(workers: number): Promise<ModeResult> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const pool = Array.from({ length: workers }, () =>
    startModuleWorker(new URL(import.meta.url), { worker: true }),
  );
  for (const w of pool) {
    w.on("message", (d: Datagram) => socket.send(d.bytes, d.port, d.address));
    await new Promise((r) => w.once("online", r));
  }
  socket.on("message", (bytes, rinfo) => {
    if (pool.length === 0) {
      const out = answer(bytes);
      if (out) socket.send(out, rinfo.port, rinfo.address);
      return;
    }
    const w = pool[callIdHash(bytes) % pool.length]!;
    w.postMessage({ bytes, port: rinfo.port, address: rinfo.address } satisfies Datagram, [bytes.buffer]);
  });
  const load = fork(HERE, ["load", String(socket.address().port)], { execArgv: ["--import", "tsx"] });
  const ready = await new Promise<unknown>((r) => load.once("message", r));
  if (ready !== "ready") throw new Error(`the load process said ${JSON.stringify(ready)}`);
  const cpu0 = process.cpuUsage();
  const thread0 = socketThreadCpuMs();
  load.send("go");
  const answered = Number(await new Promise<unknown>((r) => load.once("message", r)));
  const threadMs = socketThreadCpuMs() - thread0;
  const cpu = process.cpuUsage(cpu0);
  load.kill();
  await Promise.all(pool.map((w) => w.terminate()));
  socket.close();
  return {
    mode: workers === 0 ? "inline" : `workers=${workers}`,
    answered,
    perSecond: answered / SECONDS,
    cpuUsPerMessage: (cpu.user + cpu.system) / answered,
    socketThreadUsPerMessage: (threadMs * 1000) / answered,
  };
}

/** The load process: WINDOW requests in flight, each answered request replaced by a new one. */
async function loadProcess(port: number): Promise<void> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  let n = 0;
  let answered = 0;
  let running = false;
  const next = () => {
    n++;
    socket.send(invite(`d${n}x${process.pid}`), port, "127.0.0.1");
  };
  socket.on("message", () => {
    if (!running) return;
    answered++;
    next();
  });
  process.send!("ready");
  await new Promise((r) => process.once("message", r));
  running = true;
  for (let i = 0; i < WINDOW; i++) next();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  running = false;
  process.send!(String(answered));
}

if (!isMainThread && (workerData as { worker?: boolean })?.worker) {
  parentPort!.on("message", (d: Datagram) => {
    const out = answer(d.bytes);
    if (out) parentPort!.postMessage({ ...d, bytes: out } satisfies Datagram, [out.buffer as ArrayBuffer]);
  });
} else if (process.argv[2] === "load") {
  await loadProcess(Number(process.argv[3]));
} else {
  print(
    `Dispatch benchmark: ${SECONDS} s per mode, ${WINDOW} requests in flight, ${WORK_PARSES} parses of work per message, ` +
      `node ${process.version}, ${availableParallelism()} cores (the load process shares them)`,
  );
  const rows: ModeResult[] = [];
  for (const workers of [0, 1, 2]) rows.push(await measure(workers));
  print("\n| mode | answered/s | CPU µs per message (process) | socket thread µs per message |");
  print("| --- | ---: | ---: | ---: |");
  for (const r of rows)
    print(
      `| ${r.mode} | ${Math.round(r.perSecond)} | ${r.cpuUsPerMessage.toFixed(1)} | ${r.socketThreadUsPerMessage.toFixed(1)} |`,
    );
  const one = rows[1]!;
  print(
    `\nThe socket's thread spends ${one.socketThreadUsPerMessage.toFixed(1)} µs per message dispatching: ` +
      `it alone could carry about ${Math.round(1e6 / one.socketThreadUsPerMessage)} messages/s for any number of workers.`,
  );
}
