/**
 * What the media plane holds per call and per leg: the mediasoup router it uses (shared, see
 * mediasoup-media.ts for why), and per leg its transport, its stream in (producer) and out
 * (consumer), and what its last SDP said.
 */
import type { MediaLegRef } from "../b2bua/media-port.js";
import type { Mediasoup } from "./mediasoup.js";
import type { AudioDescription, Direction } from "./sdp-audio.js";

export type Router = Mediasoup.types.Router;
export type WebRtcTransport = Mediasoup.types.WebRtcTransport;
export type PlainTransport = Mediasoup.types.PlainTransport;
export type Producer = Mediasoup.types.Producer;
export type Consumer = Mediasoup.types.Consumer;
export type RtpCodecCapability = Mediasoup.types.RtpCodecCapability;

export interface LegMedia {
  readonly ref: MediaLegRef;
  readonly kind: "webrtc" | "plain";
  transport: WebRtcTransport | PlainTransport;
  readonly sessionId: string;
  version: number;
  /** The m-line's mid in this leg's SDP exchange (its own when it offered first). */
  mid: string;
  /** The leg's last SDP (offer or answer). */
  remote: AudioDescription | undefined;
  /** The leg's own direction (from its last SDP). */
  direction: Direction;
  connected: boolean;
  /** Its SDP's kind differs from its transport's (see connectLeg). */
  mismatch: boolean;
  /** A PlainTransport latching onto the first packet's source (RFC 4961 symmetric RTP). */
  comedia: boolean;
  /**
   * Offered to before its SDP was known, its plain transport latches until that SDP comes; should
   * the SDP be one to send to (an SSRC, a reachable address), the transport is made again, connected.
   */
  latchUntilAnswer: boolean;
  producer: Producer | undefined;
  consumer: Consumer | undefined;
  /** The SSRC learnt from its first packets when its SDP declared none (ssrc-learner.ts). */
  learnedSsrc: number | undefined;
  /** RTP seen so far: packets, when the count last moved, when it was last read. */
  rtp: { packets: number; changedAt: number; checkedAt: number; started: boolean };
  /** Its consumer has sent it RTP (`media.rtp-started`, direction `sent`, was reported). */
  rtpSent: boolean;
}

export interface CallMedia {
  readonly id: string;
  readonly router: Router;
  /** The worker process of the router (the one whose log reports the call's unmatched RTP). */
  readonly workerPid: number;
  readonly legs: Map<string, LegMedia>;
  /**
   * Every transport made for the call and not yet closed, also those no leg holds (yet or any
   * more): the router is shared and outlives the call, so the call's end closes these.
   */
  readonly transports: Set<WebRtcTransport | PlainTransport>;
  /** The codec both legs use, with the router's payload type, once fixed. */
  codec: RtpCodecCapability | undefined;
  closed: boolean;
}

/** Where mediasoup listens, and the address written into SDP when it differs (NAT, containers). */
export interface ListenAddress {
  listenIp: string;
  announcedIp?: string;
}
