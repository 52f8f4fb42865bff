/**
 * Writes the SDP the gateway sends to a leg, always from mediasoup's side of that leg: its own
 * transport address, ICE/DTLS parameters and the SSRC of the consumer that sends to the leg.
 * Pure: callers pass plain values read from mediasoup objects.
 */
import sdpTransform from "sdp-transform";
import type { Direction, DtlsSetup } from "./sdp-audio.js";

export interface WriteCodec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, unknown>;
}

interface Common {
  /** Stable per leg (RFC 4566 §5.2 o= sess-id); `version` grows with each SDP sent. */
  sessionId: string;
  version: number;
  address: string;
  codecs: WriteCodec[];
  direction: Direction;
  /** The SSRC and CNAME the gateway sends with (RFC 5576), when known. */
  ssrc?: { ssrc: number; cname: string };
}

export interface WebRtcSdp extends Common {
  mid: string;
  ice: { usernameFragment: string; password: string };
  candidates: { foundation: string; priority: number; ip: string; port: number; protocol: string }[];
  fingerprint: { algorithm: string; value: string };
  /** `actpass` in offers; `passive` (or `active` toward a passive offerer) in answers (RFC 8842). */
  setup: DtlsSetup;
  extmaps?: { id: number; uri: string }[];
}

export interface PlainSdp extends Common {
  port: number;
}

function rtpLines(codecs: WriteCodec[]) {
  return {
    rtp: codecs.map((c) => ({
      payload: c.payloadType,
      codec: c.mimeType.split("/")[1] ?? c.mimeType,
      rate: c.clockRate,
      ...(c.channels && c.channels > 1 && { encoding: c.channels }),
    })),
    fmtp: codecs
      .filter((c) => c.parameters && Object.keys(c.parameters).length > 0)
      .map((c) => ({
        payload: c.payloadType,
        config: Object.entries(c.parameters!)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(";"),
      })),
    payloads: codecs.map((c) => c.payloadType).join(" "),
  };
}

function ssrcLines(ssrc: Common["ssrc"], msid?: string) {
  if (!ssrc) return {};
  return {
    ssrcs: [
      { id: ssrc.ssrc, attribute: "cname", value: ssrc.cname },
      ...(msid ? [{ id: ssrc.ssrc, attribute: "msid", value: msid }] : []),
    ],
  };
}

/** The o= line (RFC 4566 §5.2): one session per leg, its version bumped on every new offer/answer. */
function origin(o: {
  sessionId: string | number;
  version: number;
  address: string;
}): sdpTransform.SessionDescription["origin"] {
  return {
    username: "hookline",
    sessionId: o.sessionId,
    sessionVersion: o.version,
    netType: "IN",
    ipVer: 4,
    address: o.address,
  };
}

/** SDP toward a browser: ICE-lite (RFC 8445 §2.5), DTLS-SRTP (RFC 5763), rtcp-mux, BUNDLE of one. */
export function writeWebRtcSdp(o: WebRtcSdp): string {
  const msid = { id: "hookline", appdata: "hookline-audio" };
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: origin(o),
    name: "-",
    timing: { start: 0, stop: 0 },
    icelite: "ice-lite",
    groups: [{ type: "BUNDLE", mids: o.mid }],
    msidSemantic: { semantic: "WMS", token: "hookline" },
    media: [
      {
        type: "audio",
        port: o.candidates[0]?.port ?? 9,
        protocol: "UDP/TLS/RTP/SAVPF",
        connection: { version: 4, ip: o.candidates[0]?.ip ?? o.address },
        ...rtpLines(o.codecs),
        rtcp: {
          port: o.candidates[0]?.port ?? 9,
          netType: "IN",
          ipVer: 4,
          address: o.candidates[0]?.ip ?? o.address,
        },
        iceUfrag: o.ice.usernameFragment,
        icePwd: o.ice.password,
        fingerprint: { type: o.fingerprint.algorithm, hash: o.fingerprint.value },
        setup: o.setup,
        mid: o.mid,
        direction: o.direction,
        rtcpMux: "rtcp-mux",
        rtcpRsize: "rtcp-rsize",
        ...(o.extmaps &&
          o.extmaps.length > 0 && { ext: o.extmaps.map((e) => ({ value: e.id, uri: e.uri })) }),
        msid: [msid],
        ...ssrcLines(o.ssrc, `${msid.id} ${msid.appdata}`),
        candidates: o.candidates.map((c, i) => ({
          foundation: c.foundation,
          component: 1,
          transport: c.protocol,
          priority: c.priority,
          ip: c.ip,
          port: c.port,
          type: "host",
          ...(c.protocol === "tcp" && { tcptype: "passive" }),
          generation: 0,
          "network-id": i + 1,
        })),
        endOfCandidates: "end-of-candidates",
      },
    ],
  };
  return sdpTransform.write(session);
}

/** SDP toward a plain RTP endpoint (RFC 3264, RTP/AVP); RTCP on the RTP port (RFC 5761 §5.1.3). */
export function writePlainSdp(o: PlainSdp): string {
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: origin(o),
    name: "-",
    connection: { version: 4, ip: o.address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: "audio",
        port: o.port,
        protocol: "RTP/AVP",
        ...rtpLines(o.codecs),
        rtcp: { port: o.port },
        rtcpMux: "rtcp-mux",
        ptime: 20,
        direction: o.direction,
        ...ssrcLines(o.ssrc),
      },
    ],
  };
  return sdpTransform.write(session);
}
