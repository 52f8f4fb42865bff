/**
 * Media benchmark: concurrent bridged PCMU calls on one mediasoup worker, each with two
 * PlainTransport legs set up through MediasoupMedia's own offer/answer, 50 packets/s each way
 * from a Node RTP generator on 127.0.0.1. Steps up the call count until loss > 0.1 %, the worker's
 * core saturates, the generator falls behind or the time is up; then the same steps through a
 * plain Node UDP relay (no mediasoup) for comparison. CPU is read from /proc for the worker and
 * the relay process alike.
 *
 *   npm run bench:media -w @hookline/bench          (BENCH_MEDIA_STEPS=100,200 to choose steps)
 *
 * BENCH_MEDIA_NO_SSRC=1: the legs' SDP declares no a=ssrc, as most phones and carriers send it;
 * each leg latches onto its first packet and its SSRC is learnt from the worker's report
 * (ssrc-learner.ts), so the worker runs at log level warn with the rtp tag.
 *
 * Each step also reports, per new stream, how long after its first packet the first one came out
 * of the other leg (what learning an SSRC costs in latency: two worker requests, after the first
 * packet instead of before it), and warms up until every stream is relayed, so that the measured
 * loss is the steady state's. BENCH_MEDIA_CPS=100: the new calls of a step start their media at
 * that rate, as calls arrive, instead of all on the step's first tick.
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
const NO_SSRC = process.env.BENCH_MEDIA_NO_SSRC === "1";
/** New calls start their media at this many calls per second; 0: all on the step's first tick. */
const CPS = Number(process.env.BENCH_MEDIA_CPS ?? 0);

interface Stream {
  socket: dgram.Socket;
  port: number;
  buf: Buffer;
  seq: number;
  /** When its first packet was sent, and when the first it caused came out of the other leg. */
  firstTx?: number;
  firstRx?: number;
  /** Its relayed packets are told apart by source port (the mediasoup legs). */
  tracked?: boolean;
  /** Its media starts then (BENCH_MEDIA_CPS), not on the step's first tick. */
  startAt?: number;
}

/** Per receiving socket, by source port: the stream whose packets come out of that port. */
const relayedFrom = new Map<dgram.Socket, (Stream | undefined)[]>();

function onRelayed(socket: dgram.Socket, port: number): void {
  const s = relayedFrom.get(socket)?.[port];
  if (s && s.firstRx === undefined) s.firstRx = performance.now();
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
  /** Per stream new in this step: ms from its first packet to the first relayed one (Infinity: never), sorted. */
  firstRelay: number[];
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
      if (s.seq === 0) {
        const now = performance.now();
        if (s.startAt !== undefined && s.startAt > now) continue;
        s.firstTx = now;
      }
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
  // Streams whose relay is known (the mediasoup legs) keep warming up until each has come out
  // of its other leg, at most 5 s: the time that took is reported apart from steady-state loss.
  const fresh = streams.filter((s) => s.seq === 0 && s.tracked);
  const start = performance.now();
  if (CPS > 0) fresh.forEach((s, i) => (s.startAt = start + (Math.floor(i / 2) * 1000) / CPS));
  const ramp = CPS > 0 ? (fresh.length / 2 / CPS) * 1000 : 0;
  await generate(streams, 400);
  while (performance.now() - start < ramp + 5000 && fresh.some((s) => s.firstRx === undefined)) {
    await generate(streams, 200);
  }
  await new Promise((r) => setTimeout(r, 200));
  const firstRelay = fresh.map((s) => (s.firstRx ?? Infinity) - (s.firstTx ?? 0)).sort((x, y) => x - y);
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
    firstRelay,
  };
}

function report(name: string, r: StepResult): void {
  const perCall = r.calls > 0 ? (r.cpu * 1000) / r.calls : 0;
  console.log(
    `${name.padEnd(9)} ${String(r.calls).padStart(5)} calls  ${String(Math.round(r.sent / (MEASURE_MS / 1000))).padStart(7)} pkt/s  ` +
      `loss ${(r.loss * 100).toFixed(3).padStart(6)} %  cpu ${(r.cpu * 100).toFixed(1).padStart(5)} % of a core  ` +
      `${perCall.toFixed(3)} ms cpu/s per call  gen ${(r.genCpu * 100).toFixed(0)} %${r.paceOk ? "" : "  (generator fell behind)"}`,
  );
  const f = r.firstRelay;
  if (f.length > 0) {
    const at = (q: number) => f[Math.min(f.length - 1, Math.floor(q * f.length))]!.toFixed(0);
    console.log(
      `  first packet relayed after: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms over ${f.length} new streams` +
        `; within 100 ms: ${f.filter((x) => x <= 100).length}; never: ${f.filter((x) => x === Infinity).length}`,
    );
  }
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
  for (const s of [a, b]) {
    relayedFrom.set(s, []);
    s.on("message", (_m, from) => {
      rx.n++;
      onRelayed(s, from.port);
    });
  }

  // ─── mediasoup ───
  const pool = new WorkerPool({
    size: 1,
    rtcMinPort: 20000,
    rtcMaxPort: 29999,
    logLevel: NO_SSRC ? "warn" : "error",
  });
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
      ...(NO_SSRC ? [] : [`a=ssrc:${ssrc} cname:bench`]),
      "a=sendrecv",
      "",
    ].join("\r\n");
  const port = (s: string) => Number(/m=audio (\d+)/.exec(s)?.[1]);
  const flow = (p: number) => ({ transport: "udp" as const, remoteAddress: "127.0.0.1", remotePort: p });

  console.log(
    `mediasoup worker pid ${pid}; ${PACKET_MS} ms PCMU packets, 50 packets/s each way per call; ` +
      (NO_SSRC ? "no a=ssrc (learnt from the first packets)" : "a=ssrc declared"),
  );
  const ms: StepResult[] = [];
  for (const calls of STEPS) {
    for (let i = streams.length / 2; i < calls; i++) {
      const legA = { id: `a${i}`, flow: flow(a.address().port) };
      const legB = { id: `b${i}`, flow: flow(b.address().port) };
      const toB = await media.offer(`call${i}`, legA, legB, sdp(a.address().port, 1_000_000 + i));
      const toA = await media.answer(`call${i}`, legB, legA, sdp(b.address().port, 2_000_000 + i));
      const fromA: Stream = {
        socket: a,
        port: port(toA),
        buf: rtpPacket(1_000_000 + i),
        seq: 0,
        tracked: true,
      };
      const fromB: Stream = {
        socket: b,
        port: port(toB),
        buf: rtpPacket(2_000_000 + i),
        seq: 0,
        tracked: true,
      };
      // A's packets come out of B's transport (the port B was told) to b, and the reverse.
      relayedFrom.get(b)![fromB.port] = fromA;
      relayedFrom.get(a)![fromA.port] = fromB;
      streams.push(fromA, fromB);
    }
    const r = await measure(calls, streams, pid, rx);
    ms.push(r);
    report("mediasoup", r);
    if (NO_SSRC) console.log(`  SSRC learning: ${JSON.stringify(media.ssrcLearning)}`);
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
