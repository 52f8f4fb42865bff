/**
 * Reads what the media plane needs from an endpoint's SDP (RFC 4566, RFC 3264): the first audio
 * m-line's codecs, direction, transport address, ICE/DTLS parameters (RFC 8839, RFC 8122) and the
 * sender's SSRC and CNAME (RFC 5576). Pure: no mediasoup, no sockets.
 */
import sdpTransform from "sdp-transform";

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";
export type DtlsSetup = "actpass" | "active" | "passive";

export interface SdpCodec {
  /** `audio/opus`, `audio/PCMU`, ... as mediasoup spells them. */
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters: Record<string, string | number>;
}

export interface AudioDescription {
  /** Every audio codec of the m-line, in the sender's order of preference. */
  codecs: SdpCodec[];
  direction: Direction;
  mid: string | undefined;
  ssrc: number | undefined;
  cname: string | undefined;
  extmaps: { id: number; uri: string }[];
  /** Where the endpoint wants RTP (c= of the m-line, else of the session). */
  address: string;
  port: number;
  rtcpMux: boolean;
  /** `UDP/TLS/RTP/SAVPF` for WebRTC, `RTP/AVP` for plain RTP. */
  protocol: string;
  ice: { ufrag: string; pwd: string } | undefined;
  fingerprint: { algorithm: string; value: string } | undefined;
  setup: DtlsSetup | undefined;
  /** SDES keys (RFC 4568): plain legs with SRTP are not served. */
  hasCrypto: boolean;
}

export type ParseAudioResult = { ok: true; audio: AudioDescription } | { ok: false; error: string };

/**
 * RFC 3551 §6 static audio payload types an SDP may use without an rtpmap line (those the gateway
 * does not relay are named too, so that a refusal can say what was offered).
 */
const STATIC: Record<number, { codec: string; rate: number; encoding?: number }> = {
  0: { codec: "PCMU", rate: 8000 },
  3: { codec: "GSM", rate: 8000 },
  4: { codec: "G723", rate: 8000 },
  8: { codec: "PCMA", rate: 8000 },
  9: { codec: "G722", rate: 8000 },
  13: { codec: "CN", rate: 8000 },
  18: { codec: "G729", rate: 8000 },
};

const DIRECTIONS = new Set<string>(["sendrecv", "sendonly", "recvonly", "inactive"]);

export function parseAudio(sdp: string): ParseAudioResult {
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(sdp);
  } catch (err) {
    return { ok: false, error: `unreadable SDP: ${(err as Error).message}` };
  }
  const media = session.media.find((m) => m.type === "audio" && m.port !== 0);
  if (!media) return { ok: false, error: "no audio stream in the SDP" };
  const address = media.connection?.ip ?? session.connection?.ip;
  if (!address) return { ok: false, error: "no connection address (c=) for the audio stream" };

  const payloads = String(media.payloads ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const codecs: SdpCodec[] = [];
  for (const pt of payloads) {
    const rtp = media.rtp.find((r) => r.payload === pt) ?? staticCodec(pt);
    if (!rtp) continue;
    const fmtp = media.fmtp.find((f) => f.payload === pt);
    codecs.push({
      mimeType: `audio/${mimeName(rtp.codec)}`,
      payloadType: pt,
      clockRate: rtp.rate ?? 8000,
      ...(rtp.encoding !== undefined && { channels: Number(rtp.encoding) }),
      parameters: fmtp ? parseFmtp(fmtp.config) : {},
    });
  }

  const direction = media.direction ?? session.direction ?? "sendrecv";
  const ssrcLine = media.ssrcs?.find((s) => s.attribute === "cname") ?? media.ssrcs?.[0];
  const fingerprint = media.fingerprint ?? session.fingerprint;
  const ufrag = media.iceUfrag ?? session.iceUfrag;
  const pwd = media.icePwd ?? session.icePwd;
  const setup = media.setup ?? session.setup;
  return {
    ok: true,
    audio: {
      codecs,
      direction: DIRECTIONS.has(direction) ? direction : "sendrecv",
      mid: media.mid !== undefined ? String(media.mid) : undefined,
      ssrc: ssrcLine ? Number(ssrcLine.id) : undefined,
      cname: media.ssrcs?.find((s) => s.attribute === "cname")?.value,
      extmaps: (media.ext ?? []).map((e) => ({ id: e.value, uri: e.uri })),
      address,
      port: media.port,
      rtcpMux: media.rtcpMux === "rtcp-mux",
      protocol: media.protocol,
      ice: ufrag && pwd ? { ufrag, pwd } : undefined,
      fingerprint: fingerprint ? { algorithm: fingerprint.type, value: fingerprint.hash } : undefined,
      setup: setup === "actpass" || setup === "active" || setup === "passive" ? setup : undefined,
      hasCrypto: (media.crypto?.length ?? 0) > 0,
    },
  };
}

/** A WebRTC (ICE + DTLS-SRTP) description, as browsers send. */
export function isWebRtc(a: AudioDescription): boolean {
  return a.protocol.includes("TLS") || a.protocol.includes("DTLS");
}

/** Whether a party whose SDP says `d` sends media (RFC 3264 §5.1). */
export function sends(d: Direction): boolean {
  return d === "sendrecv" || d === "sendonly";
}

/** Whether a party whose SDP says `d` receives media (RFC 3264 §5.1). */
export function receives(d: Direction): boolean {
  return d === "sendrecv" || d === "recvonly";
}

/** mediasoup's spelling of a codec name: `opus` is lower case, telephone-event too. */
function mimeName(codec: string): string {
  const lower = codec.toLowerCase();
  if (lower === "opus" || lower === "telephone-event" || lower === "red" || lower === "cn") {
    return lower === "cn" ? "CN" : lower;
  }
  return codec.toUpperCase();
}

function staticCodec(pt: number): { codec: string; rate: number; encoding?: number } | undefined {
  return STATIC[pt];
}

function parseFmtp(config: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const part of config.split(";")) {
    const [k, v] = part.split("=").map((s) => s.trim());
    if (!k) continue;
    if (v === undefined) continue;
    out[k] = /^\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}
