/** Leg references and SDP for the media plane's tests. */
import dgram from "node:dgram";
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

/**
 * A Node RTP endpoint on 127.0.0.1: sends 20 ms packets of payload type `pt` with `ssrc` (which a
 * test may change, as a carrier's media server does) and counts what it receives per payload type.
 */
export async function rtpPhone(ssrc: number, pt: number) {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  const received = new Map<number, number>();
  const ssrcsIn = new Set<number>();
  socket.on("message", (m) => {
    if (m.length < 12) return;
    const type = m[1]! & 0x7f;
    if (type >= 72 && type <= 76) return; // RTCP (RFC 5761 §4)
    received.set(type, (received.get(type) ?? 0) + 1);
    ssrcsIn.add(m.readUInt32BE(8));
  });
  let seq = 0;
  const phone = {
    ssrc,
    port: socket.address().port,
    /** Media packets received (of `pt`). */
    get received() {
      return received.get(pt) ?? 0;
    },
    receivedOf: (type: number) => received.get(type) ?? 0,
    ssrcsIn,
    /** Sends raw RTP of any payload type (RFC 4733 events, for one). */
    sendRaw(toPort: number, type: number, payload: Buffer, marker = false, timestamp = seq * 160) {
      const p = Buffer.alloc(12 + payload.length);
      p[0] = 0x80;
      p[1] = (marker ? 0x80 : 0) | type;
      p.writeUInt16BE(seq++ & 0xffff, 2);
      p.writeUInt32BE(timestamp >>> 0, 4);
      p.writeUInt32BE(phone.ssrc, 8);
      payload.copy(p, 12);
      socket.send(p, toPort, "127.0.0.1");
    },
    /** Sends an RTCP receiver report with no report blocks (RFC 3550 §6.4.2), as some phones do first. */
    sendRtcp(toPort: number) {
      const p = Buffer.alloc(8);
      p[0] = 0x80;
      p[1] = 201;
      p.writeUInt16BE(1, 2);
      p.writeUInt32BE(phone.ssrc, 4);
      socket.send(p, toPort, "127.0.0.1");
    },
    async send(toPort: number, count: number) {
      for (let i = 0; i < count; i++) {
        phone.sendRaw(toPort, pt, Buffer.alloc(160, 0xd5));
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    close: () => socket.close(),
  };
  return phone;
}
