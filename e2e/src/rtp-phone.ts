/**
 * The audio side of a SIPp phone: a UDP socket on 127.0.0.1 whose port the scenario's SDP names
 * (-set rtpport). SIPp's own RTP tools play only PCMU/PCMA pcaps; this endpoint sends 20 ms RTP
 * packets of any payload type (RFC 3550 §5.1), declares no SSRC anywhere, and counts what it
 * receives per payload type, RTCP aside (RFC 5761 §4).
 */
import dgram from "node:dgram";

/** One 20 ms frame of silence per codec, and its RTP timestamp step (RFC 3551 §4.5; RFC 7587 §4.1). */
const FRAMES: Record<string, { payload: Buffer; step: number }> = {
  PCMU: { payload: Buffer.alloc(160, 0xff), step: 160 },
  PCMA: { payload: Buffer.alloc(160, 0xd5), step: 160 },
  // G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2).
  G722: { payload: Buffer.alloc(160, 0x00), step: 160 },
  // An opus packet of one 20 ms CELT frame of silence (RFC 6716 §3.1, TOC 0xf8).
  opus: { payload: Buffer.from([0xf8, 0xff, 0xfe]), step: 960 },
};

export interface RtpPhone {
  readonly port: number;
  /** Packets received of payload type `pt`. */
  receivedOf(pt: number): number;
  /** Payload types received so far. */
  payloadTypes(): number[];
  /** Sends `codec` frames as payload type `pt` to `port` every 20 ms until `stop`. */
  start(port: number, codec: keyof typeof FRAMES, pt: number): void;
  stop(): void;
  close(): void;
}

export async function rtpPhone(): Promise<RtpPhone> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const received = new Map<number, number>();
  socket.on("message", (m) => {
    if (m.length < 12 || m[0]! >> 6 !== 2) return;
    const pt = m[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP SR, RR, SDES, BYE, APP
    received.set(pt, (received.get(pt) ?? 0) + 1);
  });
  const ssrc = Math.floor(Math.random() * 2 ** 32) >>> 0;
  let timer: NodeJS.Timeout | undefined;
  let seq = Math.floor(Math.random() * 30000);
  let ts = Math.floor(Math.random() * 2 ** 31);
  const phone: RtpPhone = {
    port: socket.address().port,
    receivedOf: (pt) => received.get(pt) ?? 0,
    payloadTypes: () => [...received.keys()].sort((a, b) => a - b),
    start(port, codec, pt) {
      const frame = FRAMES[codec]!;
      phone.stop();
      timer = setInterval(() => {
        const p = Buffer.alloc(12 + frame.payload.length);
        p[0] = 0x80;
        p[1] = pt;
        p.writeUInt16BE(seq++ & 0xffff, 2);
        p.writeUInt32BE(ts >>> 0, 4);
        p.writeUInt32BE(ssrc, 8);
        frame.payload.copy(p, 12);
        ts = (ts + frame.step) % 2 ** 32;
        socket.send(p, port, "127.0.0.1");
      }, 20);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    close() {
      phone.stop();
      socket.close();
    },
  };
  return phone;
}
