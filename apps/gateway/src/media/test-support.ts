/** Leg references and SDP for the media plane's tests. */
import type { MediaLegRef } from "../b2bua/media-port.js";
import { parseAudio, type AudioDescription } from "./sdp-audio.js";

export const ws = (id: string): MediaLegRef => ({
  id,
  flow: { transport: "ws", remoteAddress: "127.0.0.1", remotePort: 50000, connectionId: `c-${id}` },
});
export const udp = (id: string): MediaLegRef => ({
  id,
  flow: { transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5070 },
});

export function plainSdp(
  port: number,
  opts: { codecs?: string; ssrc?: number; direction?: string } = {},
): string {
  const codecs = opts.codecs ?? "8 101";
  return [
    "v=0",
    "o=phone 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=audio ${port} RTP/AVP ${codecs}`,
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:18 G729/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    ...(opts.ssrc ? [`a=ssrc:${opts.ssrc} cname:phone`] : []),
    `a=${opts.direction ?? "sendrecv"}`,
    "",
  ].join("\r\n");
}

export function audio(sdp: string): AudioDescription {
  const r = parseAudio(sdp);
  if (!r.ok) throw new Error(r.error);
  return r.audio;
}
