import { describe, expect, it } from "vitest";
import { parse } from "sdp-transform";
import { MediaRefusedError } from "./media-port.js";
import { declineAll, mediaRefusal, warningValue } from "./sdp-codecs.js";

describe("media refusals as the caller reads them (RFC 3261 §20.43)", () => {
  const answered = new MediaRefusedError("x", 305, {
    offered: ["PCMU/8000"],
    other: ["G729/8000"],
    otherIs: "answer",
  });

  it("names the offering side, then the answering side or the gateway", () => {
    expect(mediaRefusal(answered, "caller")).toEqual({
      warnCode: 305,
      text: "no common codec: caller offered PCMU/8000; callee answered G729/8000",
    });
    // An INVITE without SDP: the callee's 2xx offered, the caller would have answered.
    expect(mediaRefusal(answered, "callee").text).toBe(
      "no common codec: callee offered PCMU/8000; caller answered G729/8000",
    );
    const relays = new MediaRefusedError("x", 305, { offered: [], other: ["PCMU/8000"], otherIs: "gateway" });
    expect(mediaRefusal(relays, "caller").text).toBe(
      "no common codec: caller offered none; the gateway relays PCMU/8000 (no transcoding)",
    );
    expect(mediaRefusal(new MediaRefusedError("SDES keys", 302), "caller")).toEqual({
      warnCode: 302,
      text: "SDES keys",
    });
  });

  it("writes a Warning whose quoted text cannot be broken by a quote in it", () => {
    expect(warningValue({ warnCode: 399, text: 'a "b" \\c' })).toBe('399 hookline "a b c"');
  });

  it("declines every stream of an offer with port zero (RFC 3264 §6), keeping its formats", () => {
    const offer =
      "v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\nm=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    const answer = parse(declineAll(offer)!);
    expect(answer.media.map((m) => [m.type, m.port, String(m.payloads)])).toEqual([
      ["audio", 0, "18"],
      ["video", 0, "96"],
    ]);
    expect(answer.origin?.username).toBe("hookline");
  });
});
