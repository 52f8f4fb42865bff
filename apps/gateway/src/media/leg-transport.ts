/**
 * A leg's mediasoup transport: a WebRtcTransport (ICE-lite, DTLS-SRTP, rtcp-mux) for browsers, a
 * PlainTransport (RTP/AVP, rtcp-mux) for phones, connected to the address its SDP names or, when
 * that address cannot be reached, latching onto the first packet's source (comedia).
 */
import { MediaRefusedError, type MediaLegRef } from "../b2bua/media-port.js";
import type { CallMedia, LegMedia, ListenAddress, PlainTransport, WebRtcTransport } from "./call-media.js";
import { trackTransport } from "./census.js";
import { reachable } from "./reachable.js";
import { isWebRtc, type AudioDescription } from "./sdp-audio.js";
import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

function listenIpOf(at: ListenAddress): { ip: string; announcedIp?: string } {
  return { ip: at.listenIp, ...(at.announcedIp && { announcedIp: at.announcedIp }) };
}

/** The call's leg for `ref`, its transport created on first sight (`sdp` when the leg offers). */
export async function legFor(
  call: CallMedia,
  ref: MediaLegRef,
  sdp: AudioDescription | undefined,
  at: ListenAddress,
): Promise<LegMedia> {
  if (call.closed) throw new Error(`media: call ${call.id} has ended`);
  const existing = call.legs.get(ref.id);
  if (existing) return existing;
  // An offerer is served as its SDP says; a leg offered to is served by its flow's kind.
  const webrtc = sdp
    ? isWebRtc(sdp)
    : (ref.webrtc ?? (ref.flow.transport === "ws" || ref.flow.transport === "wss"));
  const listenIp = listenIpOf(at);
  // A plain leg offered to (its SDP unknown yet) latches from the start: most phones' and
  // carriers' answers declare no SSRC, which makes it latch anyway (mustLatch), so its transport
  // is not made twice; an answer it can be sent to replaces it with a connected one (connectLeg).
  const comedia = !webrtc && (sdp === undefined || mustLatch(sdp, ref));
  const transport = ownedBy(
    call,
    webrtc
      ? await call.router.createWebRtcTransport({ listenIps: [listenIp], enableUdp: true, enableTcp: false })
      : await call.router.createPlainTransport({ listenIp, rtcpMux: true, comedia }),
  );
  const leg: LegMedia = {
    ref,
    kind: webrtc ? "webrtc" : "plain",
    transport,
    sessionId: String(Math.floor(Math.random() * 2 ** 52)),
    version: 0,
    mid: sdp?.mid ?? "0",
    remote: undefined,
    direction: "sendrecv",
    connected: false,
    mismatch: false,
    comedia,
    latchUntilAnswer: !webrtc && sdp === undefined,
    producer: undefined,
    consumer: undefined,
    learnedSsrc: undefined,
    rtp: { packets: 0, changedAt: Date.now(), checkedAt: 0, started: false },
    rtpSent: false,
  };
  call.legs.set(ref.id, leg);
  return leg;
}

/** DTLS role from the leg's a=setup (RFC 5763 §5), or the RTP address (or comedia latching). */
export async function connectLeg(
  call: CallMedia,
  leg: LegMedia,
  d: AudioDescription,
  at: ListenAddress,
): Promise<void> {
  if (leg.connected || leg.mismatch) return;
  if ((leg.kind === "webrtc") !== isWebRtc(d)) {
    // Offered WebRTC, answered plain RTP (or the reverse): signaling goes on, media does not.
    leg.mismatch = true;
    mediaLog.warn(
      { callId: call.id, legId: leg.ref.id, protocol: d.protocol, transport: leg.kind },
      "the answer's media protocol does not fit the leg's transport; no media",
    );
    return;
  }
  if (leg.kind === "webrtc") {
    if (!d.fingerprint) throw new MediaRefusedError("DTLS-SRTP without a=fingerprint");
    const role = d.setup === "passive" ? "server" : "client";
    await (leg.transport as WebRtcTransport).connect({
      dtlsParameters: {
        role,
        fingerprints: [{ algorithm: d.fingerprint.algorithm, value: d.fingerprint.value }],
      },
    });
  } else {
    if (!mustLatch(d, leg.ref)) {
      // Offered to before its SDP was known, and the SDP can be sent to: same port, connected.
      const plain = leg.latchUntilAnswer
        ? await remakeConnected(call, leg, at)
        : (leg.transport as PlainTransport);
      if (!leg.comedia) await plain.connect({ ip: d.address, port: d.port });
    }
    leg.latchUntilAnswer = false;
  }
  leg.connected = true;
}

/** The leg's plain transport made again on its port, not latching (comedia off). */
async function remakeConnected(call: CallMedia, leg: LegMedia, at: ListenAddress): Promise<PlainTransport> {
  const plain = leg.transport as PlainTransport;
  const port = plain.tuple.localPort;
  plain.close();
  const next = ownedBy(
    call,
    await call.router.createPlainTransport({ listenIp: listenIpOf(at), port, rtcpMux: true, comedia: false }),
  );
  leg.transport = next;
  leg.comedia = false;
  return next;
}

/**
 * Whether a plain leg's transport latches onto its first packet's source (comedia) rather than
 * sending to its SDP's address: when that address cannot be reached, and when the SDP declares no
 * SSRC, whose first packet then tells the SSRC to the learner (ssrc-learner.ts).
 */
function mustLatch(d: AudioDescription, ref: MediaLegRef): boolean {
  return !reachable(d.address, ref.flow) || d.ssrc === undefined;
}

/**
 * A transport just created for `call`. The router is shared with other calls and outlives this
 * one, so a transport whose creation finished after the call ended is closed here, not leaked.
 */
function ownedBy<T extends WebRtcTransport | PlainTransport>(call: CallMedia, transport: T): T {
  trackTransport(transport);
  call.transports.add(transport);
  transport.observer.once("close", () => call.transports.delete(transport));
  if (call.closed) {
    transport.close();
    throw new Error(`media: call ${call.id} has ended`);
  }
  return transport;
}
