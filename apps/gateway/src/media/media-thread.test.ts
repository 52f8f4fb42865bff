import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaRefusedError } from "../b2bua/media-port.js";
import { mediaCensus } from "./census.js";
import { MediaThread } from "./media-thread.js";
import { audio, plainSdp, udp } from "./test-support.js";

const MIN = 44000;
const MAX = 44199;

describe("MediaThread: the media plane in a worker thread", () => {
  let media: MediaThread;
  let thread: Worker | undefined;
  const ended: [string, string][] = [];

  beforeAll(async () => {
    media = await MediaThread.start({
      pool: { size: 1, rtcMinPort: MIN, rtcMaxPort: MAX },
      media: { listenIp: "127.0.0.1" },
      endCall: (callId, reason) => ended.push([callId, reason]),
      onThread: (t) => (thread = t),
    });
  });
  afterAll(async () => {
    await media?.close();
  });

  it("relays offer and answer through mediasoup in the thread, and a call's end frees its transports", async () => {
    expect(media.pids()).toHaveLength(1);
    const before = await mediaCensus();
    const offer = audio(await media.offer("t1", udp("a"), udp("b"), plainSdp(6100, { ssrc: 11 })));
    expect(offer.address).toBe("127.0.0.1");
    expect(offer.port).toBeGreaterThanOrEqual(MIN);
    expect(offer.port).toBeLessThanOrEqual(MAX);
    const answer = audio(
      await media.answer("t1", udp("b"), udp("a"), plainSdp(6102, { codecs: "8", ssrc: 22 })),
    );
    expect(answer.port).not.toBe(offer.port);
    expect(answer.codecs.map((c) => c.mimeType)).toEqual(["audio/PCMA"]);
    expect(await mediaCensus()).toMatchObject({ workers: 1, transports: before.transports + 2 });
    expect((await media.callStats()).map((c) => c.callId)).toEqual(["t1"]);
    media.closeCall("t1");
    await expect.poll(() => mediaCensus()).toMatchObject({ routers: 0, transports: before.transports });
  });

  it("refuses an offer it cannot serve with a MediaRefusedError, its Warning code and codecs across the thread", async () => {
    const refused = media.offer("t2", udp("a"), udp("b"), plainSdp(6104, { codecs: "18" }));
    await expect(refused).rejects.toBeInstanceOf(MediaRefusedError);
    await expect(refused).rejects.toThrow(/^no common codec: the offer has G729\/8000/);
    await expect(refused).rejects.toMatchObject({
      warnCode: 305,
      codecs: { offered: ["G729/8000"], otherIs: "gateway" },
    });
    media.closeCall("t2");
  });

  it("ends the calls of a thread that died, and a new thread takes new calls", async () => {
    await media.offer("t3", udp("a"), udp("b"), plainSdp(6106, { ssrc: 33 }));
    const first = thread!;
    await first.terminate();
    await expect.poll(() => ended).toEqual([["t3", "media-thread-died"]]);
    await expect.poll(() => thread !== first && media.size === 1).toBe(true);
    const offer = audio(await media.offer("t4", udp("a"), udp("b"), plainSdp(6108, { ssrc: 44 })));
    expect(offer.port).toBeGreaterThanOrEqual(MIN);
    media.closeCall("t4");
    await expect.poll(() => mediaCensus()).toMatchObject({ routers: 0 });
  });

  it("fails requests at once when a thread died and its replacement could not start", async () => {
    const ended: string[] = [];
    const threads: Worker[] = [];
    const down = await MediaThread.start({
      pool: { size: 1, rtcMinPort: MIN, rtcMaxPort: MAX },
      media: { listenIp: "127.0.0.1" },
      endCall: (callId) => ended.push(callId),
      // The replacement ends before it is ready, as one whose workers cannot start would.
      onThread: (t) => void (threads.push(t) === 2 && t.terminate()),
    });
    try {
      await down.offer("d1", udp("a"), udp("b"), plainSdp(6110, { ssrc: 55 }));
      await threads[0]!.terminate();
      await expect.poll(() => ended).toEqual(["d1"]);
      // Once the replacement is gone too, nothing waits for a thread that is not there...
      await expect
        .poll(() =>
          down.census().then(
            () => "answered",
            (e: Error) => e.message,
          ),
        )
        .toBe("the media thread is down");
      await expect(down.offer("d2", udp("a"), udp("b"), plainSdp(6112))).rejects.toThrow("is down");
      // ...and no third thread is started.
      expect(threads).toHaveLength(2);
      expect(down.size).toBe(0);
    } finally {
      await down.close();
    }
  });
});
