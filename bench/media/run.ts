/**
 * Media benchmark: concurrent bridged PCMU calls on one mediasoup worker, each with two
 * PlainTransport legs set up through MediasoupMedia's own offer/answer, 50 packets/s each way
 * from a Node RTP generator on 127.0.0.1. Steps up the call count until loss > 0.1 %, the worker's
 * core saturates, the generator falls behind or the time is up; then the same steps through a
 * plain Node UDP relay (no mediasoup) for comparison. CPU is read from /proc for the worker and
 * the relay process alike.
 *
 *   npm run bench:media -w @hookline/bench          (BENCH_MEDIA_STEPS=100,200 to choose steps)
 */
import { fork, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MediasoupMedia, WorkerPool, mediaCensus } from "@hookline/gateway";

const STEPS = (process.env.BENCH_MEDIA_STEPS ?? "100,200,400,600,800,1000,1250,1500,2000")
  .split(",")
  .map(Number);
const MEASURE_MS = 2500;
const PACKET_MS = 20;
const LOSS_LIMIT = 0.001;
const CPU_LIMIT = 0.9;
const DEADLINE = Date.now() + 110_000;
const CLK_TCK = 100;

interface Stream {
  socket: dgram.Socket;
  port: number;
  buf: Buffer;
  seq: number;
}

interface StepResult {
  calls: number;
  sent: number;
  received: number;
  loss: number;
  cpu: number;
  paceOk: boolean;
  /** CPU of this process (generator + receiver): when it nears a core, loss is the generator's. */
  genCpu: number;
}

/** utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  s.setRecvBufferSize(8 * 1024 * 1024);
  s.setSendBufferSize(8 * 1024 * 1024);
  return s;
}

function rtpPacket(ssrc: number): Buffer {
  const b = Buffer.alloc(172, 0xff); // 12-byte header + 160 bytes of PCMU (20 ms at 8 kHz)
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

/** Sends one packet per stream every 20 ms for `ms`; returns packets sent and whether it kept pace. */
async function generate(streams: Stream[], ms: number): Promise<{ sent: number; paceOk: boolean }> {
  const ticks = Math.floor(ms / PACKET_MS);
  const start = performance.now();
  let sent = 0;
  for (let t = 0; t < ticks; t++) {
    for (const s of streams) {
      s.buf.writeUInt16BE(s.seq & 0xffff, 2);
      s.buf.writeUInt32BE((s.seq * 160) >>> 0, 4);
      s.seq++;
      s.socket.send(s.buf, s.port, "127.0.0.1");
      sent++;
    }
    const wait = start + (t + 1) * PACKET_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const elapsed = performance.now() - start;
  return { sent, paceOk: elapsed < ms * 1.05 };
}

async function measure(
  calls: number,
  streams: Stream[],
  pid: number,
  rx: { n: number },
): Promise<StepResult> {
  // Warm-up so that latching, first packets and stats polls settle, then the measured window.
  await generate(streams, 400);
  await new Promise((r) => setTimeout(r, 200));
  rx.n = 0;
  const cpu0 = cpuSeconds(pid);
  const gen0 = cpuSeconds(process.pid);
  const t0 = performance.now();
  const { sent, paceOk } = await generate(streams, MEASURE_MS);
  const secs = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(pid) - cpu0) / secs;
  const genCpu = (cpuSeconds(process.pid) - gen0) / secs;
  await new Promise((r) => setTimeout(r, 300));
  const received = rx.n;
  return {
    calls,
    sent,
    received,
    loss: sent > 0 ? Math.max(0, 1 - received / sent) : 0,
    cpu,
    paceOk,
    genCpu,
  };
}

function report(name: string, r: StepResult): void {
  const perCall = r.calls > 0 ? (r.cpu * 1000) / r.calls : 0;
  console.log(
    `${name.padEnd(9)} ${String(r.calls).padStart(5)} calls  ${String(Math.round(r.sent / (MEASURE_MS / 1000))).padStart(7)} pkt/s  ` +
      `loss ${(r.loss * 100).toFixed(3).padStart(6)} %  cpu ${(r.cpu * 100).toFixed(1).padStart(5)} % of a core  ` +
      `${perCall.toFixed(3)} ms cpu/s per call  gen ${(r.genCpu * 100).toFixed(0)} %${r.paceOk ? "" : "  (generator fell behind)"}`,
  );
}

function done(r: StepResult): boolean {
  return r.loss > LOSS_LIMIT || r.cpu >= CPU_LIMIT || !r.paceOk || Date.now() > DEADLINE;
}

function summary(name: string, results: StepResult[]): { perCore: number; perCallMs: number; best: number } {
  const good = results.filter((r) => r.loss <= LOSS_LIMIT && r.cpu < CPU_LIMIT && r.paceOk);
  const last = good[good.length - 1] ?? results[0]!;
  const perCallMs = last.calls > 0 ? (last.cpu * 1000) / last.calls : 0;
  const perCore = perCallMs > 0 ? Math.floor(1000 / perCallMs) : 0;
  console.log(
    `${name}: ${good.length > 0 ? last.calls : 0} calls clean at most; ${perCallMs.toFixed(3)} ms CPU per second per call ` +
      `→ ≈ ${perCore} calls per core (extrapolated from the largest clean step)`,
  );
  return { perCore, perCallMs, best: good.length > 0 ? last.calls : 0 };
}

async function main(): Promise<void> {
  // One "first RTP" line per leg would drown the table.
  console.info = () => {};
  const a = await socket();
  const b = await socket();
  const rx = { n: 0 };
  for (const s of [a, b]) s.on("message", () => rx.n++);

  // ─── mediasoup ───
  const pool = new WorkerPool({ size: 1, rtcMinPort: 20000, rtcMaxPort: 29999, logLevel: "error" });
  await pool.start();
  const pid = pool.pids()[0]!;
  const media = new MediasoupMedia({ pool, listenIp: "127.0.0.1", rtpTimeoutMs: 600_000 });
  const streams: Stream[] = [];
  const sdp = (port: number, ssrc: number) =>
    [
      "v=0",
      "o=bench 1 1 IN IP4 127.0.0.1",
      "s=-",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      `m=audio ${port} RTP/AVP 0`,
      "a=rtpmap:0 PCMU/8000",
      `a=ssrc:${ssrc} cname:bench`,
      "a=sendrecv",
      "",
    ].join("\r\n");
  const port = (s: string) => Number(/m=audio (\d+)/.exec(s)?.[1]);
  const flow = (p: number) => ({ transport: "udp" as const, remoteAddress: "127.0.0.1", remotePort: p });

  console.log(`mediasoup worker pid ${pid}; ${PACKET_MS} ms PCMU packets, 50 packets/s each way per call`);
  const ms: StepResult[] = [];
  for (const calls of STEPS) {
    for (let i = streams.length / 2; i < calls; i++) {
      const legA = { id: `a${i}`, flow: flow(a.address().port) };
      const legB = { id: `b${i}`, flow: flow(b.address().port) };
      const toB = await media.offer(`call${i}`, legA, legB, sdp(a.address().port, 1_000_000 + i));
      const toA = await media.answer(`call${i}`, legB, legA, sdp(b.address().port, 2_000_000 + i));
      streams.push({ socket: a, port: port(toA), buf: rtpPacket(1_000_000 + i), seq: 0 });
      streams.push({ socket: b, port: port(toB), buf: rtpPacket(2_000_000 + i), seq: 0 });
    }
    const r = await measure(calls, streams, pid, rx);
    ms.push(r);
    report("mediasoup", r);
    if (done(r)) break;
  }
  for (let i = 0; i < streams.length / 2; i++) media.closeCall(`call${i}`);
  media.stop();
  let census = await mediaCensus();
  for (let i = 0; i < 50 && census.routers + census.transports > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    census = await mediaCensus();
  }
  await pool.close();

  // ─── plain Node relay ───
  const relay: ChildProcess = fork(fileURLToPath(new URL("./relay.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
  });
  const nodeResults: StepResult[] = [];
  for (const calls of STEPS) {
    if (Date.now() > DEADLINE) break;
    const ports = await new Promise<[number, number][]>((resolve) => {
      relay.once("message", (m) => resolve(m as [number, number][]));
      relay.send({ calls, aPort: a.address().port, bPort: b.address().port });
    });
    const relayStreams: Stream[] = ports.flatMap(([fa, fb], i) => [
      { socket: a, port: fa, buf: rtpPacket(1_000_000 + i), seq: 0 },
      { socket: b, port: fb, buf: rtpPacket(2_000_000 + i), seq: 0 },
    ]);
    const r = await measure(calls, relayStreams, relay.pid!, rx);
    relay.send("close");
    nodeResults.push(r);
    report("node-udp", r);
    if (done(r)) break;
  }
  relay.kill();
  a.close();
  b.close();

  console.log("");
  const m = summary("mediasoup (one worker)", ms);
  const n = summary("plain Node UDP relay", nodeResults);
  console.log(
    `leftovers after closing every call: ${census.routers} routers, ${census.transports} transports; ` +
      `target ≥ 500 bridged calls per worker core: ${m.perCore >= 500 ? "met" : "NOT met"}` +
      (n.perCore > 0 ? ` (Node relay ≈ ${n.perCore} per core)` : ""),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
