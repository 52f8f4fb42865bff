/**
 * The media plane (issue 6): every SDP the B2BUA relays is turned into mediasoup transports,
 * producers and consumers, and the SDP each leg receives describes mediasoup's side of that leg,
 * so that all RTP flows endpoint → mediasoup → endpoint.
 *
 * One router per call, not per tenant: a router fixes its payload-type numbers at creation, and
 * mediasoup 3.8.4 consumers send the router's numbers while Chromium only accepts its own offer's
 * (issue 6 part 5). A router created from each call's first offer carries exactly that offer's
 * numbers; a per-tenant router would force one numbering on every caller. It also makes cleanup a
 * single `router.close()` and spreads calls over workers one by one.
 *
 * Legs on WebSocket flows (browsers) get a WebRtcTransport (ICE-lite, DTLS-SRTP, rtcp-mux); UDP/TCP
 * legs a PlainTransport (RTP/AVP, rtcp-mux, comedia when the SDP's address cannot be reached).
 */
import { MediaRefusedError, type MediaLegRef, type MediaPort } from "../b2bua/media-port.js";
import type { Flow } from "../transport/types.js";
import { trackMediaPlane, trackTransport, type LegRtpStats } from "./census.js";
import type { Mediasoup } from "./mediasoup.js";
import {
  describeCodecs,
  isMediaCodec,
  routerCodecsFor,
  sameCodec,
  SUPPORTED_CODECS,
} from "./router-codecs.js";
import { isWebRtc, parseAudio, receives, sends, type AudioDescription, type Direction } from "./sdp-audio.js";
import { writePlainSdp, writeWebRtcSdp, type WriteCodec } from "./sdp-write.js";
import type { WorkerPool } from "./worker-pool.js";

type Router = Mediasoup.types.Router;
type WebRtcTransport = Mediasoup.types.WebRtcTransport;
type PlainTransport = Mediasoup.types.PlainTransport;
type Producer = Mediasoup.types.Producer;
type Consumer = Mediasoup.types.Consumer;
type RtpCodecCapability = Mediasoup.types.RtpCodecCapability;

/** Header extensions a producer keeps from a browser's offer (the rest need feedback we do not do). */
const KEPT_EXTENSIONS = new Set([
  "urn:ietf:params:rtp-hdrext:sdes:mid",
  "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
]);

export type MediaEvent =
  | { type: "media.rtp-started"; callId: string; legId: string; codec: string }
  | { type: "media.rtp-timeout"; callId: string; legId: string; silentMs: number }
  | { type: "media.worker-died"; callId: string };

export interface MediasoupMediaOptions {
  pool: WorkerPool;
  listenIp: string;
  /** The address written into SDP when it differs from the listening one (NAT, containers). */
  announcedIp?: string;
  /** No RTP from a leg that should be sending for this long ends the call. Default 30 s. */
  rtpTimeoutMs?: number;
  /** How often producers' packet counters are read. Default 1 s. */
  pollIntervalMs?: number;
  /** Ends a call from the media side (`media-timeout`, `media-worker-died`): the B2BUA's endCall. */
  endCall?: (callId: string, reason: string) => void;
  /**
   * Media events. SPEC §4 has no `media.*` callback events yet (validateEventNames refuses them),
   * so these are logged and offered here rather than published on the bus.
   */
  onEvent?: (event: MediaEvent) => void;
}

interface LegMedia {
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
  /** Its SDP's kind differs from its transport's (see #connect). */
  mismatch: boolean;
  /** A PlainTransport latching onto the first packet's source (RFC 4961 symmetric RTP). */
  comedia: boolean;
  producer: Producer | undefined;
  consumer: Consumer | undefined;
  warnedNoSsrc: boolean;
  rtp: { packets: number; changedAt: number; started: boolean };
}

interface CallMedia {
  readonly id: string;
  readonly router: Router;
  readonly legs: Map<string, LegMedia>;
  /** The codec both legs use, with the router's payload type, once fixed. */
  codec: RtpCodecCapability | undefined;
  closed: boolean;
}

/** Legs whose SDP had no a=ssrc, for the rate-limited warning. */
let noSsrcLegs = 0;

export class MediasoupMedia implements MediaPort {
  readonly #o: MediasoupMediaOptions;
  readonly #calls = new Map<string, Promise<CallMedia>>();
  /** Per-call chain: offers of parallel forks and answers never interleave. */
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #timer: NodeJS.Timeout;
  #polling = false;
  readonly #untrack: () => void;

  constructor(options: MediasoupMediaOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.#poll(), options.pollIntervalMs ?? 1000);
    this.#timer.unref();
    this.#untrack = trackMediaPlane(this);
  }

  /** Calls holding a router now. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Lets the owner hand over endCall after construction (the B2BUA exists after the media port). */
  setEndCall(endCall: (callId: string, reason: string) => void): void {
    this.#o.endCall = endCall;
  }

  /** RTP packet counts per leg, from the producers' and consumers' stats. */
  async callStats(): Promise<{ callId: string; legs: LegRtpStats[] }[]> {
    const out: { callId: string; legs: LegRtpStats[] }[] = [];
    for (const pending of [...this.#calls.values()]) {
      const call = await pending.catch(() => undefined);
      if (!call || call.closed) continue;
      const legs: LegRtpStats[] = [];
      for (const leg of call.legs.values()) {
        const count = async (x: Producer | Consumer | undefined, type: string) =>
          x && !x.closed
            ? (await x.getStats().catch(() => []))
                .filter((st: { type: string }) => st.type === type)
                .reduce((n: number, st: { packetCount?: number }) => n + (st.packetCount ?? 0), 0)
            : 0;
        // A consumer's stats also list its producer's inbound stream: count only its own.
        legs.push({
          legId: leg.ref.id,
          kind: leg.kind,
          received: await count(leg.producer, "inbound-rtp"),
          sent: await count(leg.consumer, "outbound-rtp"),
        });
      }
      out.push({ callId: call.id, legs });
    }
    return out;
  }

  stop(): void {
    this.#untrack();
    clearInterval(this.#timer);
    for (const id of [...this.#calls.keys()]) this.closeCall(id);
  }

  offer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string> {
    return this.#serial(callId, async () => {
      const d = this.#parse(sdp);
      const call = await this.#callFor(callId, d);
      const offerer = await this.#leg(call, from, d);
      offerer.remote = d;
      offerer.direction = d.direction;
      await this.#connect(call, offerer, d);
      const target = await this.#leg(call, to, undefined);

      const offered = this.#routerCodecsIn(call, d);
      if (call.codec && !offered.some((c) => sameCodec(c, call.codec!))) {
        throw new MediaRefusedError(
          `no common audio codec: the call uses ${describeCodecs([call.codec])}, the offer has ${describeCodecs(d.codecs)}`,
        );
      }
      if (offered.length === 0) {
        throw new MediaRefusedError(
          `no common audio codec: the offer has ${describeCodecs(d.codecs)}, the gateway relays ${SUPPORTED_CODECS}`,
        );
      }
      // A browser needs the consumer's SSRC in the offer, so the codec is fixed now; an RTP
      // endpoint gets every shared codec and the choice is made from its answer.
      if (!call.codec && target.kind === "webrtc") call.codec = offered[0];
      const codecs = call.codec ? [call.codec] : offered;
      if (call.codec) {
        await this.#produce(call, offerer, call.codec);
        await this.#consume(call, target, offerer);
      }
      await this.#applyDirections(call);
      return this.#write(target, codecs, d.direction, "offer");
    });
  }

  answer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string> {
    return this.#serial(callId, async () => {
      const d = this.#parse(sdp);
      const call = await this.#calls.get(callId);
      const answerer = call?.legs.get(from.id);
      const offerer = call?.legs.get(to.id);
      if (!call || call.closed || !answerer || !offerer)
        throw new Error(`media: no offer pending for ${callId}`);
      answerer.remote = d;
      answerer.direction = d.direction;
      await this.#connect(call, answerer, d);
      if (!call.codec) {
        const pick = d.codecs.find(
          (c) =>
            isMediaCodec(c) &&
            offerer.remote?.codecs.some((o) => sameCodec(o, c)) &&
            this.#routerCodec(call, c),
        );
        if (!pick) {
          throw new MediaRefusedError(`no common audio codec: the answer has ${describeCodecs(d.codecs)}`);
        }
        call.codec = this.#routerCodec(call, pick);
      }
      const codec = call.codec!;
      await this.#produce(call, answerer, codec);
      await this.#produce(call, offerer, codec);
      await this.#consume(call, offerer, answerer);
      await this.#consume(call, answerer, offerer);
      await this.#applyDirections(call);
      return this.#write(offerer, [codec], d.direction, "answer");
    });
  }

  closeLeg(callId: string, ref: MediaLegRef): void {
    void this.#calls.get(callId)?.then(
      (call) => {
        const leg = call.legs.get(ref.id);
        if (!leg) return;
        call.legs.delete(ref.id);
        leg.transport.close();
      },
      () => {},
    );
  }

  closeCall(callId: string): void {
    const pending = this.#calls.get(callId);
    if (!pending) return;
    this.#calls.delete(callId);
    this.#chains.delete(callId);
    void pending.then(
      (call) => {
        call.closed = true;
        call.router.close();
      },
      () => {},
    );
  }

  // ─── pieces ──────────────────────────────────────────────────────────────

  #serial<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(callId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.#chains.set(
      callId,
      next.catch(() => {}),
    );
    return next;
  }

  #parse(sdp: string): AudioDescription {
    const parsed = parseAudio(sdp);
    if (!parsed.ok) throw new MediaRefusedError(parsed.error);
    const d = parsed.audio;
    if (!isWebRtc(d) && (d.hasCrypto || d.protocol.includes("SAVP"))) {
      throw new MediaRefusedError("SRTP with SDES keys (RFC 4568) is not supported on RTP legs");
    }
    return d;
  }

  #callFor(callId: string, offer: AudioDescription): Promise<CallMedia> {
    const existing = this.#calls.get(callId);
    if (existing) return existing;
    const mediaCodecs = routerCodecsFor(offer.codecs);
    if (!mediaCodecs.some((c) => isMediaCodec(c))) {
      return Promise.reject(
        new MediaRefusedError(
          `no common audio codec: the offer has ${describeCodecs(offer.codecs)}, the gateway relays ${SUPPORTED_CODECS}`,
        ),
      );
    }
    const created = (async () => {
      const worker = this.#o.pool.pick();
      const router = await worker.createRouter({ mediaCodecs });
      const call: CallMedia = { id: callId, router, legs: new Map(), codec: undefined, closed: false };
      router.on("workerclose", () => {
        if (call.closed) return;
        call.closed = true;
        this.#calls.delete(callId);
        this.#emit({ type: "media.worker-died", callId });
        this.#o.endCall?.(callId, "media-worker-died");
      });
      return call;
    })();
    this.#calls.set(callId, created);
    created.catch(() => this.#calls.delete(callId));
    return created;
  }

  async #leg(call: CallMedia, ref: MediaLegRef, sdp: AudioDescription | undefined): Promise<LegMedia> {
    if (call.closed) throw new Error(`media: call ${call.id} has ended`);
    const existing = call.legs.get(ref.id);
    if (existing) return existing;
    // An offerer is served as its SDP says; a leg offered to is served by its flow's kind.
    const webrtc = sdp ? isWebRtc(sdp) : ref.flow.transport === "ws" || ref.flow.transport === "wss";
    const listenIp = {
      ip: this.#o.listenIp,
      ...(this.#o.announcedIp && { announcedIp: this.#o.announcedIp }),
    };
    const comedia = !webrtc && sdp !== undefined && !reachable(sdp.address, ref.flow);
    const transport = webrtc
      ? await call.router.createWebRtcTransport({ listenIps: [listenIp], enableUdp: true, enableTcp: false })
      : await call.router.createPlainTransport({ listenIp, rtcpMux: true, comedia });
    trackTransport(transport);
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
      producer: undefined,
      consumer: undefined,
      warnedNoSsrc: false,
      rtp: { packets: 0, changedAt: Date.now(), started: false },
    };
    call.legs.set(ref.id, leg);
    return leg;
  }

  /** DTLS role from the leg's a=setup (RFC 5763 §5), or the RTP address (or comedia latching). */
  async #connect(call: CallMedia, leg: LegMedia, d: AudioDescription): Promise<void> {
    if (leg.connected || leg.mismatch) return;
    if ((leg.kind === "webrtc") !== isWebRtc(d)) {
      // Offered WebRTC, answered plain RTP (or the reverse): signaling goes on, media does not.
      leg.mismatch = true;
      console.warn(
        `[media] call ${call.id} leg ${leg.ref.id}: ${d.protocol} on a ${leg.kind} transport; no media`,
      );
      return;
    }
    if (leg.kind === "webrtc") {
      if (!d.fingerprint) throw new MediaRefusedError("DTLS-SRTP without a=fingerprint");
      const role = d.setup === "passive" ? "server" : "client";
      await (leg.transport as WebRtcTransport).connect({
        dtlsParameters: {
          role,
          fingerprints: [{ algorithm: d.fingerprint.algorithm as "sha-256", value: d.fingerprint.value }],
        },
      });
    } else {
      const plain = leg.transport as PlainTransport;
      if (reachable(d.address, leg.ref.flow)) {
        if (!leg.comedia) await plain.connect({ ip: d.address, port: d.port });
      } else if (!leg.comedia) {
        // Offered before its address was known: same port, now latching onto the first packet.
        const port = plain.tuple.localPort;
        plain.close();
        const latched = await call.router.createPlainTransport({
          listenIp: {
            ip: this.#o.listenIp,
            ...(this.#o.announcedIp && { announcedIp: this.#o.announcedIp }),
          },
          port,
          rtcpMux: true,
          comedia: true,
        });
        trackTransport(latched);
        leg.transport = latched;
        leg.comedia = true;
      }
    }
    leg.connected = true;
  }

  /** The leg's stream into mediasoup: its SSRC, CNAME, mid and payload type from its SDP. */
  async #produce(call: CallMedia, leg: LegMedia, codec: RtpCodecCapability): Promise<void> {
    if (leg.producer || !leg.remote || leg.mismatch) return;
    const own = leg.remote.codecs.find((c) => sameCodec(c, codec));
    if (!own) return;
    if (leg.remote.ssrc === undefined) {
      if (!leg.warnedNoSsrc) {
        leg.warnedNoSsrc = true;
        // Said once, then every 1000th leg: a log line per call is itself a load under traffic.
        if (noSsrcLegs++ % 1000 === 0) {
          console.warn(
            `[media] call ${call.id} leg ${leg.ref.id}: no a=ssrc in its SDP; mediasoup 3.8.4 cannot match ` +
              `RTP without a signalled SSRC (or mid), so audio from such legs is not relayed (${noSsrcLegs} so far)`,
          );
        }
      }
      return;
    }
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
        encodings: [{ ssrc: leg.remote.ssrc }],
        rtcp: { cname: leg.remote.cname ?? `hookline-${leg.ref.id}`, reducedSize: webrtc, mux: true },
      },
    });
    leg.rtp = { packets: 0, changedAt: Date.now(), started: false };
  }

  /** Sends `source`'s stream to `leg` (replacing what it got from another fork before). */
  async #consume(call: CallMedia, leg: LegMedia, source: LegMedia): Promise<void> {
    const producer = source.producer;
    if (!producer) return;
    if (leg.consumer && !leg.consumer.closed && leg.consumer.producerId === producer.id) return;
    leg.consumer?.close();
    const routerCodec = call.router.rtpCapabilities.codecs?.find(
      (c) => call.codec && sameCodec(c, call.codec),
    );
    if (!routerCodec) return;
    leg.consumer = await leg.transport.consume({
      producerId: producer.id,
      // No header extensions: their ids would be the router's, not the ones the leg negotiated.
      rtpCapabilities: { codecs: [routerCodec], headerExtensions: [] },
    });
  }

  /** Hold and resume (RFC 3264 §8.4): a leg that does not send pauses its producer, one that does not receive its consumer. */
  async #applyDirections(call: CallMedia): Promise<void> {
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

  #routerCodecsIn(call: CallMedia, d: AudioDescription): RtpCodecCapability[] {
    return d.codecs.filter((c) => isMediaCodec(c)).flatMap((c) => this.#routerCodec(call, c) ?? []);
  }

  #routerCodec(call: CallMedia, c: { mimeType: string; clockRate: number; channels?: number }) {
    return call.router.rtpCapabilities.codecs?.find((r) => sameCodec(r, c));
  }

  #write(
    leg: LegMedia,
    codecs: RtpCodecCapability[],
    direction: Direction,
    type: "offer" | "answer",
  ): string {
    leg.version++;
    const write: WriteCodec[] = codecs.map((c) => ({
      mimeType: c.mimeType,
      payloadType: c.preferredPayloadType ?? 0,
      clockRate: c.clockRate,
      ...(c.channels !== undefined && { channels: c.channels }),
      ...(c.parameters && { parameters: c.parameters as Record<string, unknown> }),
    }));
    const enc = leg.consumer?.rtpParameters.encodings?.[0];
    const ssrc =
      enc?.ssrc !== undefined
        ? { ssrc: enc.ssrc, cname: leg.consumer?.rtpParameters.rtcp?.cname ?? "hookline" }
        : undefined;
    const address = this.#o.announcedIp ?? this.#o.listenIp;
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
      t.dtlsParameters.fingerprints.find((f) => f.algorithm === "sha-256") ??
      t.dtlsParameters.fingerprints[0]!;
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
        extmaps: (leg.remote?.extmaps ?? []).filter((e) => KEPT_EXTENSIONS.has(e.uri) && leg.producer),
      }),
    });
  }

  // ─── RTP watch ─────────────────────────────────────────────────────────────

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const timeout = this.#o.rtpTimeoutMs ?? 30_000;
      for (const pending of [...this.#calls.values()]) {
        const call = await pending.catch(() => undefined);
        if (!call || call.closed) continue;
        for (const leg of call.legs.values()) {
          const p = leg.producer;
          if (!p || p.closed) continue;
          const now = Date.now();
          if (p.paused || !sends(leg.direction)) {
            leg.rtp.changedAt = now;
            continue;
          }
          const stats = await p.getStats().catch(() => []);
          const packets = stats.reduce((n, s) => n + (s.packetCount ?? 0), 0);
          if (packets > leg.rtp.packets) {
            leg.rtp.packets = packets;
            leg.rtp.changedAt = now;
            if (!leg.rtp.started) {
              leg.rtp.started = true;
              this.#emit({
                type: "media.rtp-started",
                callId: call.id,
                legId: leg.ref.id,
                codec: p.rtpParameters.codecs[0]?.mimeType ?? "",
              });
            }
          } else if (now - leg.rtp.changedAt >= timeout && !call.closed) {
            this.#emit({
              type: "media.rtp-timeout",
              callId: call.id,
              legId: leg.ref.id,
              silentMs: now - leg.rtp.changedAt,
            });
            leg.rtp.changedAt = now;
            this.#o.endCall?.(call.id, "media-timeout");
            break;
          }
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  #emit(event: MediaEvent): void {
    const where = `call ${event.callId}${"legId" in event ? ` leg ${event.legId}` : ""}`;
    console.info(`[media] ${event.type} ${where}`);
    try {
      this.#o.onEvent?.(event);
    } catch (err) {
      console.error("[media] event listener failed:", err);
    }
  }
}

const PRIVATE = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^169\.254\./,
  /^f[cd]/i,
  /^fe80:/i,
];

/**
 * Whether RTP can be sent to the SDP's address: not 0.0.0.0 (RFC 3264 §8.4 old hold), and not a
 * private address behind the NAT the signaling came through (then comedia latches instead).
 */
export function reachable(address: string, flow: Flow): boolean {
  if (address === "0.0.0.0" || address === "::") return false;
  if (address === flow.remoteAddress) return true;
  return !PRIVATE.some((re) => re.test(address));
}
