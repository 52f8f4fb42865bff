import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerPool } from "./worker-pool.js";

describe("mediasoup worker from the Debian package", () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it("creates a worker, a router, a WebRtcTransport and a PlainTransport", async () => {
    pool = new WorkerPool({ size: 1, rtcMinPort: 41000, rtcMaxPort: 41999 });
    await pool.start();
    const worker = pool.pick();
    expect(worker.pid).toBeGreaterThan(0);
    const usage = await worker.getResourceUsage();
    expect(usage.ru_maxrss).toBeGreaterThan(0);

    const router = await worker.createRouter({
      mediaCodecs: [
        { kind: "audio", mimeType: "audio/opus", preferredPayloadType: 111, clockRate: 48000, channels: 2 },
        { kind: "audio", mimeType: "audio/PCMU", preferredPayloadType: 0, clockRate: 8000 },
      ],
    });
    expect(router.rtpCapabilities.codecs?.map((c) => c.mimeType)).toEqual(["audio/opus", "audio/PCMU"]);

    const webrtc = await router.createWebRtcTransport({ listenIps: [{ ip: "127.0.0.1" }], enableUdp: true });
    expect(webrtc.iceParameters.iceLite).toBe(true);
    expect(webrtc.dtlsParameters.fingerprints.length).toBeGreaterThan(0);
    expect(webrtc.iceCandidates[0]?.ip).toBe("127.0.0.1");

    const plain = await router.createPlainTransport({
      listenIp: { ip: "127.0.0.1" },
      rtcpMux: true,
      comedia: true,
    });
    expect(plain.tuple.localPort).toBeGreaterThanOrEqual(41000);
    expect(plain.tuple.localPort).toBeLessThanOrEqual(41999);

    const dump = (await router.dump()) as { transportIds: string[] };
    expect(dump.transportIds.sort()).toEqual([webrtc.id, plain.id].sort());
    router.close();
    expect(webrtc.closed && plain.closed).toBe(true);
  });

  it("replaces a worker that dies", async () => {
    const died: number[] = [];
    pool = new WorkerPool({
      size: 1,
      rtcMinPort: 42000,
      rtcMaxPort: 42999,
      onWorkerDied: (pid) => died.push(pid),
    });
    await pool.start();
    const first = pool.pick().pid;
    process.kill(first, "SIGKILL");
    await expect.poll(() => pool!.pids()[0], { timeout: 10_000 }).not.toBe(first);
    expect(died).toEqual([first]);
    expect(pool.size).toBe(1);
  });

  it("runs each worker in a session of its own, under the pid mediasoup spawned (Ctrl-C spares it)", async () => {
    pool = new WorkerPool({ size: 1, rtcMinPort: 42000, rtcMaxPort: 42999 });
    await pool.start();
    const worker = pool.pick();
    // /proc/<pid>/stat: pid (comm) state ppid pgrp session ...
    const stat = readFileSync(`/proc/${worker.pid}/stat`, "utf8");
    const [, ppid, pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(Number(ppid)).toBe(process.pid);
    expect(Number(pgrp)).toBe(worker.pid);
    expect(Number(session)).toBe(worker.pid);
    // The channel over fds 3-6 survived the wrapper's exec: the worker answers requests.
    expect((await worker.getResourceUsage()).ru_maxrss).toBeGreaterThan(0);
  });
});
