import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MediaRefusedError } from "../b2bua/media-port.js";
import { answerCodec, audioCodecNames, keepsCallCodec, refuseOffer } from "./codec-choice.js";
import { audio, plainSdp } from "./test-support.js";

const CHROMIUM_OFFER = readFileSync(new URL("./fixtures/chromium-156-offer.sdp", import.meta.url), "utf8");
const chromium = audio(CHROMIUM_OFFER).codecs;
/** A phone's SDP with only static payload types, no rtpmap (RFC 3551 §6 allows it). */
const bare = (pts: string) =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP ${pts}\r\n`;
const all = () => true;

function refusal(fn: () => unknown): MediaRefusedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MediaRefusedError) return err;
    throw err;
  }
  throw new Error("not refused");
}

describe("codec choice without transcoding (RFC 3264 §6.1)", () => {
  it("names a browser's audio codecs as rtpmap does, without events, comfort noise and redundancy", () => {
    expect(audioCodecNames(chromium)).toEqual(["opus/48000/2", "G722/8000", "PCMU/8000", "PCMA/8000"]);
  });

  it.each([
    ["8", "PCMA/8000"],
    ["9", "G722/8000"],
    ["0", "PCMU/8000"],
    ["9 0", "G722/8000"],
    ["18 8 0", "PCMA/8000"],
  ])(
    "a phone answering %s to a browser's offer carries %s (the answer's first shared codec)",
    (pts, name) => {
      const c = answerCodec(chromium, audio(bare(pts)).codecs, all);
      expect(`${c.mimeType.slice(6)}/${c.clockRate}`).toBe(name);
      // The payload type is the answer's own (static here).
      expect(c.payloadType).toBe(Number(pts.split(" ").find((p) => p !== "18")));
    },
  );

  it("an answer with a codec the offer did not have is refused with 305, naming both sides", () => {
    const err = refusal(() =>
      answerCodec(audio(plainSdp(4000, { codecs: "0 101" })).codecs, audio(bare("18")).codecs, all),
    );
    expect(err.warnCode).toBe(305);
    expect(err.codecs).toEqual({ offered: ["PCMU/8000"], other: ["G729/8000"], otherIs: "answer" });
  });

  it("an answer whose shared codec the call's router does not carry is refused", () => {
    const err = refusal(() =>
      answerCodec(chromium, audio(bare("8")).codecs, (c) => c.mimeType !== "audio/PCMA"),
    );
    expect(err.codecs?.other).toEqual(["PCMA/8000"]);
  });

  it("a first offer with no codec the gateway relays is refused at once; one with any is not", () => {
    const err = refuseOffer(bare("18 3"));
    expect(err?.warnCode).toBe(305);
    expect(err?.codecs).toEqual({
      offered: ["G729/8000", "GSM/8000"],
      other: ["opus/48000/2", "PCMU/8000", "PCMA/8000", "G722/8000"],
      otherIs: "gateway",
    });
    expect(refuseOffer(bare("18 9"))).toBeUndefined();
    expect(refuseOffer(CHROMIUM_OFFER)).toBeUndefined();
    // opus is 48 kHz stereo in SDP (RFC 7587 §7); a mono opus line is not the codec mediasoup relays.
    expect(
      refuseOffer(bare("96").replace(/\r\n$/, "\r\na=rtpmap:96 opus/48000\r\n"))?.codecs?.offered,
    ).toEqual(["opus/48000"]);
  });

  it("a first offer without audio is 304, SDES-keyed SRTP 302 (RFC 3261 §20.43)", () => {
    expect(refuseOffer(bare("0").replace("m=audio", "m=video"))?.warnCode).toBe(304);
    expect(refuseOffer(bare("0").replace("RTP/AVP", "RTP/SAVP"))?.warnCode).toBe(302);
  });

  it("a new offer on a call must keep the call's codec", () => {
    const pcma = { mimeType: "audio/PCMA", clockRate: 8000 };
    expect(keepsCallCodec(audio(bare("0 8")).codecs, pcma)).toBeUndefined();
    expect(keepsCallCodec(audio(bare("0")).codecs, pcma)?.codecs).toEqual({
      offered: ["PCMU/8000"],
      other: ["PCMA/8000"],
      otherIs: "call",
    });
  });
});
