/**
 * The streams of a leg inside mediasoup: its producer (what it sends, described by its SDP) and its
 * consumer (what it receives from the other leg), paused and resumed as the legs' directions say.
 */
import type { CallMedia, LegMedia, RtpCodecCapability } from "./call-media.js";
import { sameCodec } from "./router-codecs.js";
import { receives, sends } from "./sdp-audio.js";

/** Header extensions a producer keeps from a browser's offer (the rest need feedback we do not do). */
export const KEPT_EXTENSIONS = new Set([
  "urn:ietf:params:rtp-hdrext:sdes:mid",
  "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
]);

/**
 * The leg's stream into mediasoup: its SSRC (declared in its SDP, else learnt from its packets, see
 * ssrc-learner.ts), CNAME, mid and payload type. A producer whose SSRC is no longer the leg's is
 * replaced (a re-INVITE declaring another SSRC, a stream switch learnt mid-call).
 */
export async function produce(call: CallMedia, leg: LegMedia, codec: RtpCodecCapability): Promise<void> {
  if (!leg.remote || leg.mismatch) return;
  const ssrc = leg.remote.ssrc ?? leg.learnedSsrc;
  if (ssrc === undefined) return;
  if (leg.producer && !leg.producer.closed) {
    if (leg.producer.rtpParameters.encodings?.[0]?.ssrc === ssrc) return;
    leg.producer.close();
  }
  leg.producer = undefined;
  const own = leg.remote.codecs.find((c) => sameCodec(c, codec));
  if (!own) return;
  const webrtc = leg.kind === "webrtc";
  leg.producer = await leg.transport.produce({
    kind: "audio",
    rtpParameters: {
      ...(webrtc && leg.remote.mid !== undefined && { mid: leg.remote.mid }),
      codecs: [
        {
          mimeType: codec.mimeType,
          payloadType: own.payloadType,
          clockRate: codec.clockRate,
          ...(codec.channels !== undefined && { channels: codec.channels }),
          parameters: own.parameters,
          rtcpFeedback: [],
        },
      ],
      headerExtensions: webrtc
        ? leg.remote.extmaps
            .filter((e) => KEPT_EXTENSIONS.has(e.uri))
            .map((e) => ({ uri: e.uri as never, id: e.id, encrypt: false, parameters: {} }))
        : [],
      encodings: [{ ssrc }],
      rtcp: { cname: leg.remote.cname ?? `hookline-${leg.ref.id}`, reducedSize: webrtc, mux: true },
    },
  });
  // A replaced producer counts from zero; its leg's RTP has still started (media.started once).
  leg.rtp = { packets: 0, changedAt: Date.now(), checkedAt: 0, started: leg.rtp.started };
}

/** Sends `source`'s stream to `leg` (replacing what it got from another fork before). */
export async function consume(call: CallMedia, leg: LegMedia, source: LegMedia): Promise<void> {
  const producer = source.producer;
  if (!producer) return;
  if (leg.consumer && !leg.consumer.closed && leg.consumer.producerId === producer.id) return;
  leg.consumer?.close();
  const routerCodec = call.router.rtpCapabilities.codecs?.find((c) => call.codec && sameCodec(c, call.codec));
  if (!routerCodec) return;
  leg.consumer = await leg.transport.consume({
    producerId: producer.id,
    // No header extensions: their ids would be the router's, not the ones the leg negotiated.
    rtpCapabilities: { codecs: [routerCodec], headerExtensions: [] },
  });
}

/** Hold and resume (RFC 3264 §8.4): a leg that does not send pauses its producer, one that does not receive its consumer. */
export async function applyDirections(call: CallMedia): Promise<void> {
  for (const leg of call.legs.values()) {
    const p = leg.producer;
    if (p && !p.closed) {
      if (sends(leg.direction) && p.paused) {
        await p.resume();
        leg.rtp.changedAt = Date.now();
      } else if (!sends(leg.direction) && !p.paused) await p.pause();
    }
    const c = leg.consumer;
    if (c && !c.closed) {
      if (receives(leg.direction) && c.paused) await c.resume();
      else if (!receives(leg.direction) && !c.paused) await c.pause();
    }
  }
}
