import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MediasoupMedia } from "./mediasoup-media.js";
import { audio, plainSdp, rtpPhone, udp } from "./test-support.js";
import { loadMediasoup } from "./mediasoup.js";
import { parseUnmatched } from "./unmatched-rtp.js";
import { WorkerPool } from "./worker-pool.js";

const MIN = 43600;
const MAX = 43799;

type Phone = Awaited<ReturnType<typeof rtpPhone>>;

describe("unmatched RTP log line (mediasoup 3.8.4 Transport::ReceiveRtpPacket, `rtp` tag)", () => {
  it("reads the worker's pid, the SSRC and the payload type; other lines are not it", () => {
    expect(
      parseUnmatched(
        "[pid:4242] RTC::Transport::ReceiveRtpPacket() | no suitable Producer for received RTP packet [ssrc:3735928559, payloadType:8]",
      ),
    ).toEqual({ pid: 4242, ssrc: 3735928559, payloadType: 8 });
    expect(
      parseUnmatched("[pid:1] RTC::Producer::MangleRtpPacket() | unknown payload type [payloadType:13]"),
    ).toBe(undefined);
  });
});

describe("RTP legs without a=ssrc (RFC 5576 is optional): the SSRC is learnt from the first packets", () => {
  let pool: WorkerPool;
  let media: MediasoupMedia;
  beforeAll(async () => {
    pool = new WorkerPool({ size: 1, rtcMinPort: MIN, rtcMaxPort: MAX });
    await pool.start();
    media = new MediasoupMedia({ pool, listenIp: "127.0.0.1", rtpTimeoutMs: 60_000, pollIntervalMs: 100 });
  });
  afterAll(async () => {
    media?.stop();
    await pool?.close();
  });

  /** Sets up a call between two phones that declare no SSRC; returns mediasoup's port for each. */
  async function call(id: string, a: Phone, b: Phone) {
    const toB = audio(
      await media.offer(id, udp(`${id}a`), udp(`${id}b`), plainSdp(a.port, { codecs: "0 8" })),
    );
    const toA = audio(
      await media.answer(id, udp(`${id}b`), udp(`${id}a`), plainSdp(b.port, { codecs: "0" })),
    );
    return { toA: toA.port, toB: toB.port };
  }

  it("relays both ways from the first packets on, and follows an SSRC change mid-call", async () => {
    const a = await rtpPhone(0x1111, 0);
    const b = await rtpPhone(0x2222, 0);
    // A second call on the same worker: a changed SSRC then has two legs it could belong to.
    const c = await rtpPhone(0x3333, 0);
    const d = await rtpPhone(0x4444, 0);
    try {
      const ab = await call("n1", a, b);
      const cd = await call("n2", c, d);
      // Each side sends 25 packets (half a second of audio); what is lost while learning is the
      // first packet or two, and the rest arrives.
      await Promise.all([a.send(ab.toA, 25), b.send(ab.toB, 25), c.send(cd.toA, 25), d.send(cd.toB, 25)]);
      await expect.poll(() => b.received).toBeGreaterThanOrEqual(20);
      await expect.poll(() => a.received).toBeGreaterThanOrEqual(20);
      await expect.poll(() => d.received).toBeGreaterThanOrEqual(20);
      await expect.poll(() => c.received).toBeGreaterThanOrEqual(20);
      console.log(`no a=ssrc, first 25 packets: A→B ${b.received}, B→A ${a.received}`);

      // A's media server switches streams: the new SSRC from the same source is followed (while
      // call n2 on the same worker keeps sending), and from then on everything is relayed.
      a.ssrc = 0x5555;
      for (let i = 0; i < 40 && b.ssrcsIn.size < 2; i++) {
        await a.send(ab.toA, 5);
        await c.send(cd.toA, 5);
      }
      await expect.poll(() => b.ssrcsIn.size).toBe(2);
      const before = b.received;
      await a.send(ab.toA, 20);
      await expect.poll(() => b.received - before).toBe(20);
      // Call n2's legs kept their streams; nothing of A's reached D.
      expect(d.ssrcsIn.size).toBe(1);
      expect(b.ssrcsIn.size).toBe(2);
    } finally {
      media.closeCall("n1");
      media.closeCall("n2");
      for (const p of [a, b, c, d]) p.close();
    }
  });

  it("the callee's transport, offered before its SDP was known, is made once and kept when its answer declares no SSRC", async () => {
    // Router.createPlainTransport is one worker request (and a port bound) per call.
    const { Router } = (await import("mediasoup/lib/Router.js")) as unknown as {
      Router: { prototype: { createPlainTransport: () => unknown } };
    };
    await loadMediasoup();
    const creations = vi.spyOn(Router.prototype, "createPlainTransport");
    const a = await rtpPhone(0x6161, 0);
    const b = await rtpPhone(0x6262, 0);
    try {
      const ab = await call("n7", a, b);
      expect(creations).toHaveBeenCalledTimes(2);
      await Promise.all([a.send(ab.toA, 25), b.send(ab.toB, 25)]);
      await expect.poll(() => b.received).toBeGreaterThanOrEqual(20);
      await expect.poll(() => a.received).toBeGreaterThanOrEqual(20);
    } finally {
      creations.mockRestore();
      media.closeCall("n7");
      a.close();
      b.close();
    }
  });

  it("a callee whose RTP arrives before its answer is worked out is learnt from those packets", async () => {
    // Its transport latches from the offer on: the learner must watch it from then, or the
    // latching packet's `tuple` is missed and the leg is never learnt.
    const a = await rtpPhone(0x7171, 0);
    const b = await rtpPhone(0x7272, 0);
    try {
      const toB = audio(await media.offer("n8", udp("n8a"), udp("n8b"), plainSdp(a.port, { codecs: "0" })));
      await b.send(toB.port, 5);
      const toA = audio(await media.answer("n8", udp("n8b"), udp("n8a"), plainSdp(b.port, { codecs: "0" })));
      // A's transport latches too: A's packets tell mediasoup where A is, then B's reach A.
      await a.send(toA.port, 5);
      await expect.poll(() => b.received).toBeGreaterThanOrEqual(1);
      const before = b.received;
      await Promise.all([a.send(toA.port, 25), b.send(toB.port, 25)]);
      await expect.poll(() => a.received).toBeGreaterThanOrEqual(20);
      await expect.poll(() => b.received - before).toBe(25);
    } finally {
      media.closeCall("n8");
      a.close();
      b.close();
    }
  });

  it("a leg whose first packet was RTCP was never learnt, and its SSRC was pinned on another leg", async () => {
    // With rtcp-mux, RTCP latches a comedia transport too (PlainTransport::OnRtcpDataReceived)
    // but reports no unmatched RTP: the leg's first RTP comes later, after other legs' reports.
    const a = await rtpPhone(0x8888, 0);
    const b = await rtpPhone(0x9999, 0);
    try {
      const ab = await call("n4", a, b);
      a.sendRtcp(ab.toA);
      await new Promise((r) => setTimeout(r, 20));
      // B latches on RTP and is learnt (its first packet is the one learning costs).
      await b.send(ab.toB, 5);
      await expect.poll(() => a.received).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 20 && b.received < 5; i++) {
        await a.send(ab.toA, 5);
        await b.send(ab.toB, 5);
      }
      expect(b.received).toBeGreaterThanOrEqual(5);
      const before = { a: a.received, b: b.received };
      await Promise.all([a.send(ab.toA, 20), b.send(ab.toB, 20)]);
      await expect.poll(() => b.received - before.b).toBe(20);
      await expect.poll(() => a.received - before.a).toBe(20);
      expect([...b.ssrcsIn].length).toBe(1);
    } finally {
      media.closeCall("n4");
      a.close();
      b.close();
    }
  });

  it("a second leg sending an SSRC another leg of the worker already sends was never learnt", async () => {
    // Two SIPp phones playing the same pcap send the same SSRC, each to its own transport.
    const a = await rtpPhone(0xabcd, 0);
    const b = await rtpPhone(0x1234, 0);
    const c = await rtpPhone(0xabcd, 0);
    const d = await rtpPhone(0x5678, 0);
    try {
      const ab = await call("n5", a, b);
      const cd = await call("n6", c, d);
      await Promise.all([a.send(ab.toA, 10), b.send(ab.toB, 10)]);
      await expect.poll(() => b.received).toBeGreaterThanOrEqual(5);
      await Promise.all([c.send(cd.toA, 25), d.send(cd.toB, 25), a.send(ab.toA, 25)]);
      await expect.poll(() => d.received).toBeGreaterThanOrEqual(20);
      await expect.poll(() => c.received).toBeGreaterThanOrEqual(20);
      // And call n5 kept its stream.
      await expect.poll(() => b.received).toBeGreaterThanOrEqual(30);
    } finally {
      media.closeCall("n5");
      media.closeCall("n6");
      for (const p of [a, b, c, d]) p.close();
    }
  });
});
