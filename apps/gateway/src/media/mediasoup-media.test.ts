import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaRefusedError } from "../b2bua/media-port.js";
import { mediaCensus } from "./census.js";
import { MediasoupMedia, type MediaEvent } from "./mediasoup-media.js";
import { audio, plainSdp, udp, ws } from "./test-support.js";
import { WorkerPool } from "./worker-pool.js";

const CHROMIUM_OFFER = readFileSync(new URL("./fixtures/chromium-156-offer.sdp", import.meta.url), "utf8");
const MIN = 43100;
const MAX = 43399;

/** A Node RTP endpoint: sends 20 ms PCMA/PCMU packets and counts what it receives. */
async function rtpEndpoint(ssrc: number, pt: number) {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  let received = 0;
  socket.on("message", (m) => {
    if (m.length > 12 && (m[1]! & 0x7f) === pt) received++;
  });
  let seq = 0;
  return {
    port: socket.address().port,
    get received() {
      return received;
    },
    async send(toPort: number, count: number) {
      for (let i = 0; i < count; i++, seq++) {
        const p = Buffer.alloc(172, 0xd5);
        p[0] = 0x80;
        p[1] = pt;
        p.writeUInt16BE(seq & 0xffff, 2);
        p.writeUInt32BE(seq * 160, 4);
        p.writeUInt32BE(ssrc, 8);
        socket.send(p, toPort, "127.0.0.1");
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    close: () => socket.close(),
  };
}

describe("MediasoupMedia: SDP ↔ mediasoup (SPEC §1)", () => {
  let pool: WorkerPool;
  let media: MediasoupMedia;
  const ended: { callId: string; reason: string }[] = [];
  const events: MediaEvent[] = [];

  beforeAll(async () => {
    pool = new WorkerPool({ size: 1, rtcMinPort: MIN, rtcMaxPort: MAX });
    await pool.start();
    media = new MediasoupMedia({
      pool,
      listenIp: "127.0.0.1",
      rtpTimeoutMs: 600,
      pollIntervalMs: 100,
      endCall: (callId, reason) => {
        ended.push({ callId, reason });
        media.closeCall(callId);
      },
      onEvent: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    media?.stop();
    await pool?.close();
  });

  it("Chromium offer → offer toward an RTP leg: RTP/AVP at mediasoup's port, the shared codecs in Chromium's numbers", async () => {
    const out = audio(await media.offer("c1", ws("a1"), udp("b1"), CHROMIUM_OFFER));
    expect(out.protocol).toBe("RTP/AVP");
    expect(out.address).toBe("127.0.0.1");
    expect(out.port).toBeGreaterThanOrEqual(MIN);
    expect(out.port).toBeLessThanOrEqual(MAX);
    expect(out.codecs.map((c) => `${c.payloadType} ${c.mimeType}`)).toEqual([
      "111 audio/opus",
      "9 audio/G722",
      "0 audio/PCMU",
      "8 audio/PCMA",
    ]);
    expect(out.ice).toBeUndefined();
    expect(out.fingerprint).toBeUndefined();

    // The phone answers PCMA: Chromium's answer is ICE-lite, passive, PCMA 8 only, mediasoup's SSRC.
    const answer = await media.answer("c1", udp("b1"), ws("a1"), plainSdp(6000, { codecs: "8", ssrc: 4242 }));
    const back = audio(answer);
    expect(answer).toContain("a=ice-lite");
    expect(back.setup).toBe("passive");
    expect(back.protocol).toBe("UDP/TLS/RTP/SAVPF");
    expect(back.mid).toBe("0");
    expect(back.codecs.map((c) => `${c.payloadType} ${c.mimeType}`)).toEqual(["8 audio/PCMA"]);
    expect(back.fingerprint?.algorithm).toBe("sha-256");
    expect(back.ssrc).toBeGreaterThan(0);
    expect(back.ssrc).not.toBe(4242);
    expect(answer).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    // Only the header extensions a producer keeps, with Chromium's own ids.
    expect(back.extmaps).toEqual([
      { id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level" },
      { id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid" },
    ]);
    media.closeCall("c1");
    await expect.poll(async () => (await mediaCensus()).routers).toBe(0);
  });

  it("Chromium offer → offer toward a browser leg: ICE-lite, actpass, opus 111 only, the consumer's SSRC", async () => {
    const offer = await media.offer("c2", ws("a2"), ws("b2"), CHROMIUM_OFFER);
    const out = audio(offer);
    expect(offer).toContain("a=ice-lite");
    expect(offer).toContain("a=rtcp-mux");
    expect(out.setup).toBe("actpass");
    expect(out.codecs.map((c) => `${c.payloadType} ${c.mimeType}`)).toEqual(["111 audio/opus"]);
    expect(out.codecs[0]?.parameters).toMatchObject({ minptime: 10, useinbandfec: 1 });
    expect(out.ssrc).toBeGreaterThan(0);
    expect(out.ssrc).not.toBe(6209489);
    expect(out.ice?.ufrag).toBeTruthy();
    media.closeCall("c2");
  });

  it("RTP offer (PCMA + telephone-event) → offer toward a browser: PCMA 8 only", async () => {
    const out = audio(await media.offer("c3", udp("a3"), ws("b3"), plainSdp(6002, { ssrc: 77 })));
    expect(out.codecs.map((c) => `${c.payloadType} ${c.mimeType}`)).toEqual(["8 audio/PCMA"]);
    expect(out.setup).toBe("actpass");
    media.closeCall("c3");
  });

  it("refuses an offer without a shared codec, naming both sides' codecs", async () => {
    const err = await media
      .offer("c4", udp("a4"), ws("b4"), plainSdp(6004, { codecs: "18" }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(MediaRefusedError);
    expect((err as MediaRefusedError).warnCode).toBe(305);
    expect((err as Error).message).toBe(
      "no common codec: the offer has G729/8000; the gateway relays opus/48000/2, PCMU/8000, PCMA/8000, G722/8000",
    );
    const srtp = await media
      .offer("c5", udp("a5"), udp("b5"), plainSdp(6006).replace("RTP/AVP", "RTP/SAVP"))
      .catch((e) => e);
    expect((srtp as Error).message).toContain("SDES");
    expect(media.activeCalls).toBe(0);
  });

  it("Chromium offer, a G722 phone without a=ssrc answers: G722 9 and no MID (such a browser heard nothing); G729 is refused", async () => {
    await media.offer("c9", ws("a9"), udp("b9"), CHROMIUM_OFFER);
    const g722 = audio(await media.answer("c9", udp("b9"), ws("a9"), plainSdp(6010, { codecs: "9" })));
    expect(g722.codecs.map((c) => `${c.payloadType} ${c.mimeType}/${c.clockRate}`)).toEqual([
      "9 audio/G722/8000",
    ]);
    // Regression (a browser calling a phone without a=ssrc heard nothing): the phone's SSRC is
    // learnt later, so the answer names none, and without MID negotiated Chromium takes the
    // unsignalled stream by payload type instead of dropping it.
    expect(g722.ssrc).toBeUndefined();
    expect(g722.extmaps.map((e) => e.uri)).toEqual(["urn:ietf:params:rtp-hdrext:ssrc-audio-level"]);
    media.closeCall("c9");

    await media.offer("c10", ws("a10"), udp("b10"), CHROMIUM_OFFER);
    const err = await media
      .answer("c10", udp("b10"), ws("a10"), plainSdp(6012, { codecs: "18" }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaRefusedError);
    expect((err as MediaRefusedError).codecs).toEqual({
      offered: ["opus/48000/2", "G722/8000", "PCMU/8000", "PCMA/8000"],
      other: ["G729/8000"],
      otherIs: "answer",
    });
    media.closeCall("c10");
    await expect.poll(async () => mediaCensus()).toMatchObject({ routers: 0, transports: 0 });
  });

  it("bridges two RTP legs both ways, pauses on hold, reports first RTP and ends a silent call with media-timeout", async () => {
    const phoneA = await rtpEndpoint(1001, 0);
    const phoneB = await rtpEndpoint(2002, 0);
    try {
      const toB = audio(
        await media.offer("c6", udp("a6"), udp("b6"), plainSdp(phoneA.port, { codecs: "0 8", ssrc: 1001 })),
      );
      expect(toB.codecs.map((c) => c.payloadType)).toEqual([0, 8]);
      const toA = audio(
        await media.answer("c6", udp("b6"), udp("a6"), plainSdp(phoneB.port, { codecs: "0", ssrc: 2002 })),
      );
      expect(toA.codecs.map((c) => c.payloadType)).toEqual([0]);

      await phoneA.send(toA.port, 50);
      await phoneB.send(toB.port, 50);
      await expect.poll(() => phoneB.received).toBe(50);
      await expect.poll(() => phoneA.received).toBe(50);
      console.log(
        `RTP↔RTP through mediasoup: A→B ${phoneB.received} packets, B→A ${phoneA.received} packets`,
      );
      await expect
        .poll(() =>
          events
            .filter((e) => e.type === "media.rtp-started" && e.callId === "c6")
            .map((e) => ("direction" in e ? `${e.legId} ${e.direction} ${e.codec} ${e.source?.port}` : ""))
            .sort(),
        )
        .toEqual([
          `a6 received PCMU ${phoneA.port}`,
          `a6 sent PCMU ${phoneA.port}`,
          `b6 received PCMU ${phoneB.port}`,
          `b6 sent PCMU ${phoneB.port}`,
        ]);

      // A holds (sendonly): A's consumer pauses, B's audio no longer reaches A.
      const hold = audio(
        await media.offer(
          "c6",
          udp("a6"),
          udp("b6"),
          plainSdp(phoneA.port, { codecs: "0", ssrc: 1001, direction: "sendonly" }),
        ),
      );
      expect(hold.direction).toBe("sendonly");
      const held = audio(
        await media.answer(
          "c6",
          udp("b6"),
          udp("a6"),
          plainSdp(phoneB.port, { codecs: "0", ssrc: 2002, direction: "recvonly" }),
        ),
      );
      expect(held.direction).toBe("recvonly");
      await phoneB.send(toB.port, 20);
      await phoneA.send(toA.port, 20);
      await expect.poll(() => phoneB.received).toBe(70);
      expect(phoneA.received).toBe(50);

      // Silence from A (who still should send) ends the call.
      await expect
        .poll(() => ended, { timeout: 10_000 })
        .toContainEqual({ callId: "c6", reason: "media-timeout" });
      expect(events.some((e) => e.type === "media.rtp-timeout" && e.callId === "c6")).toBe(true);
      await expect.poll(async () => mediaCensus()).toMatchObject({ routers: 0, transports: 0 });
    } finally {
      phoneA.close();
      phoneB.close();
    }
  });

  it("an offer queued before closeCall does not create a router after it (a CANCEL racing parallel forks)", async () => {
    // Both forks' offers are queued on the call's chain; the call ends before they run.
    const fork1 = media.offer("c8", ws("a8"), udp("b8"), CHROMIUM_OFFER);
    const fork2 = media.offer("c8", ws("a8"), udp("b8x"), CHROMIUM_OFFER);
    media.closeCall("c8");
    const results = await Promise.allSettled([fork1, fork2]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain("media: call c8 has ended");
    expect(media.activeCalls).toBe(0);
    await expect.poll(async () => mediaCensus()).toMatchObject({ routers: 0, transports: 0 });
  });

  it("calls whose offers number codecs alike share a router, closed with the last of them", async () => {
    const before = await mediaCensus();
    await media.offer("s1", ws("sa1"), udp("sb1"), CHROMIUM_OFFER);
    await media.offer("s2", ws("sa2"), udp("sb2"), CHROMIUM_OFFER);
    await media.offer("s3", udp("sa3"), udp("sb3"), plainSdp(7000, { codecs: "8" }));
    expect(media.openRouters).toBe(2);
    expect(await mediaCensus()).toMatchObject({ routers: 2, transports: before.transports + 6 });
    media.closeCall("s1");
    await expect
      .poll(async () => mediaCensus())
      .toMatchObject({ routers: 2, transports: before.transports + 4 });
    media.closeCall("s3");
    await expect
      .poll(async () => mediaCensus())
      .toMatchObject({ routers: 1, transports: before.transports + 2 });

    // A call that ends while its transport is being created on the shared router leaves none behind.
    const late = media.offer("s4", ws("sa4"), udp("sb4"), CHROMIUM_OFFER);
    while (media.activeCalls < 2) await Promise.resolve();
    media.closeCall("s4");
    await expect(late).rejects.toThrow("media: call s4 has ended");
    // (Checked while s2 keeps the router open: closing the router would close a leaked one too.)
    await expect
      .poll(async () => mediaCensus())
      .toMatchObject({ routers: 1, transports: before.transports + 2 });
    media.closeCall("s2");
    await expect.poll(async () => mediaCensus()).toMatchObject({ routers: 0, transports: before.transports });
    expect(media.openRouters).toBe(0);
  });

  it("ends the calls of a worker that dies", async () => {
    await media.offer("c7", ws("a7"), udp("b7"), CHROMIUM_OFFER);
    const pid = pool.pids()[0]!;
    process.kill(pid, "SIGKILL");
    await expect
      .poll(() => ended, { timeout: 10_000 })
      .toContainEqual({ callId: "c7", reason: "media-worker-died" });
    await expect.poll(() => pool.pids()[0], { timeout: 10_000 }).not.toBe(pid);
  });
});
