/**
 * The SDP a leg receives: mediasoup's side of that leg (its port, or its ICE-lite candidates and
 * DTLS fingerprint), the codecs in the router's payload-type numbers, and its consumer's SSRC.
 */
import type { LegMedia, PlainTransport, RtpCodecCapability, WebRtcTransport } from "./call-media.js";
import { KEPT_EXTENSIONS } from "./leg-streams.js";
import type { Direction } from "./sdp-audio.js";
import { writePlainSdp, writeWebRtcSdp, type WriteCodec } from "./sdp-write.js";

const MID_EXTENSION = "urn:ietf:params:rtp-hdrext:sdes:mid";

/**
 * Writes the leg's next SDP version. An answer to a browser that cannot name the SSRC it will
 * receive (the other leg's is learnt from its first packets, ssrc-learner.ts) leaves out the MID
 * header extension: with MID negotiated, Chromium demuxes an unsignalled SSRC only by a MID the
 * consumer does not send (RFC 8843 BUNDLE demultiplexing), and drops it; without, it takes it by
 * payload type. `address` is the one mediasoup is reached at.
 */
export function writeLegSdp(
  leg: LegMedia,
  codecs: RtpCodecCapability[],
  direction: Direction,
  type: "offer" | "answer",
  address: string,
): string {
  leg.version++;
  const write: WriteCodec[] = codecs.map((c) => ({
    mimeType: c.mimeType,
    payloadType: c.preferredPayloadType ?? 0,
    clockRate: c.clockRate,
    ...(c.channels !== undefined && { channels: c.channels }),
    ...(c.parameters ? { parameters: c.parameters as Record<string, unknown> } : {}),
  }));
  const enc = leg.consumer?.rtpParameters.encodings?.[0];
  const ssrc =
    enc?.ssrc !== undefined
      ? { ssrc: enc.ssrc, cname: leg.consumer?.rtpParameters.rtcp?.cname ?? "hookline" }
      : undefined;
  if (leg.kind === "plain") {
    const plain = leg.transport as PlainTransport;
    return writePlainSdp({
      sessionId: leg.sessionId,
      version: leg.version,
      address,
      port: plain.tuple.localPort,
      codecs: write,
      direction,
      ...(ssrc && { ssrc }),
    });
  }
  const t = leg.transport as WebRtcTransport;
  const fingerprint =
    t.dtlsParameters.fingerprints.find((f) => f.algorithm === "sha-256") ?? t.dtlsParameters.fingerprints[0]!;
  return writeWebRtcSdp({
    sessionId: leg.sessionId,
    version: leg.version,
    address,
    codecs: write,
    direction,
    ...(ssrc && { ssrc }),
    mid: leg.mid,
    ice: t.iceParameters,
    candidates: t.iceCandidates.map((c) => ({
      foundation: c.foundation,
      priority: c.priority,
      ip: c.ip,
      port: c.port,
      protocol: c.protocol,
    })),
    fingerprint,
    // RFC 8842 §5.3: offers say actpass; the answer takes the role the offerer left.
    setup: type === "offer" ? "actpass" : leg.remote?.setup === "passive" ? "active" : "passive",
    ...(type === "answer" && {
      extmaps: (leg.remote?.extmaps ?? []).filter(
        (e) => KEPT_EXTENSIONS.has(e.uri) && leg.producer && (ssrc || e.uri !== MID_EXTENSION),
      ),
    }),
  });
}
