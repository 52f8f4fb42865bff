/**
 * The media plane (SPEC §1): every SDP the B2BUA relays is turned into mediasoup transports,
 * producers and consumers, and the SDP each leg receives describes mediasoup's side of that leg,
 * so that all RTP flows endpoint → mediasoup → endpoint.
 *
 * Routers by numbering, not per tenant: a router fixes its payload-type numbers at creation, and
 * mediasoup 3.8.4 consumers send the router's numbers while Chromium only accepts its own offer's
 * (RFC 3264 §6.1). Each call gets a router created from (or shared with calls of) exactly its first
 * offer's numbers, see router-share.ts; a per-tenant router would force one numbering on every
 * caller. Calls are spread over workers one by one; a call's end closes its transports.
 *
 * Legs on WebSocket flows (browsers) get a WebRtcTransport (ICE-lite, DTLS-SRTP, rtcp-mux); UDP/TCP
 * legs a PlainTransport (RTP/AVP, rtcp-mux, comedia when the SDP's address cannot be reached); see
 * leg-transport.ts. This file is the media plane's MediaPort: it orders each call's offers and
 * answers and decides the call's codec. The gateway runs it in a thread of its own (media-thread.ts).
 */
import { MediaRefusedError, type MediaLegRef, type MediaPort } from "../b2bua/media-port.js";
import type { CallMedia, LegMedia, PlainTransport } from "./call-media.js";
import { trackMediaPlane, type LegRtpStats } from "./census.js";
import { legFor, connectLeg } from "./leg-transport.js";
import { applyDirections, consume, produce } from "./leg-streams.js";
import { writeLegSdp } from "./leg-sdp.js";
import { emitMediaEvent, type MediaEvent } from "./media-events.js";
import {
  answerCodec,
  audioCodecNames,
  keepsCallCodec,
  noRelayedCodec,
  parseServable,
  refuseOffer,
} from "./codec-choice.js";
import { routerCodec, routerCodecsFor, routerCodecsIn } from "./router-codecs.js";
import { RouterShare } from "./router-share.js";
import { SsrcLearner } from "./ssrc-learner.js";
import { callRtpStats, RtpWatch } from "./rtp-watch.js";
import type { AudioDescription } from "./sdp-audio.js";
import type { WorkerPool } from "./worker-pool.js";
import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

export type { MediaEvent } from "./media-events.js";

export interface MediasoupMediaOptions {
  pool: WorkerPool;
  listenIp: string;
  /** The address written into SDP when it differs from the listening one (NAT, containers). */
  announcedIp?: string;
  /** No RTP from a leg that should be sending for this long ends the call. Default 30 s. */
  rtpTimeoutMs?: number;
  /** How often a leg's packet counter is read until its RTP starts (then 4× per timeout). Default 1 s. */
  pollIntervalMs?: number;
  /** Ends a call from the media side (`media-timeout`, `media-worker-died`): the B2BUA's endCall. */
  endCall?: (callId: string, reason: string) => void;
  /**
   * Media events. SPEC §4 has no `media.*` callback events yet (validateEventNames refuses them),
   * so these are logged and offered here rather than published on the bus.
   */
  onEvent?: (event: MediaEvent) => void;
}

export class MediasoupMedia implements MediaPort {
  readonly #o: MediasoupMediaOptions;
  readonly #calls = new Map<string, Promise<CallMedia>>();
  /**
   * Per-call chain: offers of parallel forks and answers never interleave. `ended` is set by
   * closeCall, so that what is still queued then fails instead of setting up media again.
   */
  readonly #chains = new Map<string, { tail: Promise<unknown>; ended: boolean }>();
  readonly #watch: RtpWatch;
  readonly #routers: RouterShare;
  readonly #learner = new SsrcLearner();
  /** Transports the learner watches (a leg's transport is replaced when it starts latching). */
  readonly #learning = new WeakSet<PlainTransport>();
  /** Calls with a task queued to relay SSRCs learnt since (#relayLearnt). */
  readonly #relaying = new WeakSet<CallMedia>();
  readonly #untrack: () => void;

  constructor(options: MediasoupMediaOptions) {
    this.#o = options;
    this.#routers = new RouterShare(options.pool, (callIds) => {
      for (const callId of callIds) {
        const pending = this.#calls.get(callId);
        this.#calls.delete(callId);
        void pending?.then((call) => {
          if (call.closed) return;
          call.closed = true;
          this.#emit({ type: "media.worker-died", callId });
          this.#o.endCall?.(callId, "media-worker-died");
        });
      }
    });
    this.#watch = new RtpWatch({
      calls: () => this.#calls.values(),
      rtpTimeoutMs: options.rtpTimeoutMs ?? 30_000,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      emit: (event) => this.#emit(event),
      // Read at each use: setEndCall may hand it over later.
      endCall: (callId, reason) => this.#o.endCall?.(callId, reason),
    });
    this.#untrack = trackMediaPlane(this);
  }

  /** Calls with media now (each holding a share of a router). */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** What SSRC learning did so far (ssrc-learner.ts). */
  get ssrcLearning(): { first: number; changed: number; unresolved: number } {
    return { ...this.#learner.stats };
  }

  /** Routers open now (shared by calls that number codecs alike). */
  get openRouters(): number {
    return this.#routers.size;
  }

  /** Lets the owner hand over endCall after construction (the B2BUA exists after the media port). */
  setEndCall(endCall: (callId: string, reason: string) => void): void {
    this.#o.endCall = endCall;
  }

  /** RTP packet counts per leg, from the producers' and consumers' stats. */
  callStats(): Promise<{ callId: string; legs: LegRtpStats[] }[]> {
    return callRtpStats(this.#calls.values());
  }

  stop(): void {
    this.#untrack();
    this.#watch.stop();
    this.#learner.stop();
    for (const id of new Set([...this.#calls.keys(), ...this.#chains.keys()])) this.closeCall(id);
  }

  refuseOffer(sdp: string): MediaRefusedError | undefined {
    return refuseOffer(sdp);
  }

  offer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string> {
    return this.#serial(callId, async () => {
      const d = this.#parse(sdp);
      const call = await this.#callFor(callId, d);
      const offerer = await legFor(call, from, d, this.#o);
      offerer.remote = d;
      offerer.direction = d.direction;
      await connectLeg(call, offerer, d, this.#o);
      this.#learn(call, offerer);
      const target = await legFor(call, to, undefined, this.#o);
      // It latches from now on (leg-transport.ts): its SSRC is learnt even if its RTP comes first.
      this.#learn(call, target);

      const offered = routerCodecsIn(call.router, d.codecs);
      const refused = call.codec ? keepsCallCodec(d.codecs, call.codec) : undefined;
      if (refused) throw refused;
      if (offered.length === 0) {
        // Codecs the gateway relays, but not in the numbering the call's first offer fixed.
        const other = audioCodecNames(call.router.rtpCapabilities.codecs ?? []);
        throw (
          noRelayedCodec(d.codecs) ??
          new MediaRefusedError(
            `no common codec: the offer has ${audioCodecNames(d.codecs).join(", ")}; the call's router carries ${other.join(", ")}`,
            305,
            { offered: audioCodecNames(d.codecs), other, otherIs: "call" },
          )
        );
      }
      // A browser needs the consumer's SSRC in the offer, so the codec is fixed now; an RTP
      // endpoint gets every shared codec and the choice is made from its answer.
      if (!call.codec && target.kind === "webrtc") call.codec = offered[0];
      const codecs = call.codec ? [call.codec] : offered;
      if (call.codec) {
        await produce(call, offerer, call.codec);
        await consume(call, target, offerer);
      }
      await applyDirections(call);
      return writeLegSdp(target, codecs, d.direction, "offer", this.#address);
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
      await connectLeg(call, answerer, d, this.#o);
      this.#learn(call, answerer);
      if (!call.codec) {
        const pick = answerCodec(
          offerer.remote?.codecs ?? [],
          d.codecs,
          (c) => !!routerCodec(call.router, c),
        );
        call.codec = routerCodec(call.router, pick);
      }
      const codec = call.codec!;
      await produce(call, answerer, codec);
      await produce(call, offerer, codec);
      await consume(call, offerer, answerer);
      await consume(call, answerer, offerer);
      await applyDirections(call);
      return writeLegSdp(offerer, [codec], d.direction, "answer", this.#address);
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
    // Also when the call has no media (yet): an offer queued before its first one ran, or a refused call.
    const chain = this.#chains.get(callId);
    if (chain) chain.ended = true;
    this.#chains.delete(callId);
    const pending = this.#calls.get(callId);
    if (!pending) {
      this.#routers.release(callId);
      return;
    }
    this.#calls.delete(callId);
    void pending.then(
      (call) => {
        call.closed = true;
        for (const transport of [...call.transports]) transport.close();
        call.legs.clear();
        this.#routers.release(callId);
      },
      () => this.#routers.release(callId),
    );
  }

  // ─── pieces ──────────────────────────────────────────────────────────────

  /** The address written into SDP: where the legs reach mediasoup. */
  get #address(): string {
    return this.#o.announcedIp ?? this.#o.listenIp;
  }

  #serial<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    let chain = this.#chains.get(callId);
    if (!chain) {
      chain = { tail: Promise.resolve(), ended: false };
      this.#chains.set(callId, chain);
    }
    const own = chain;
    const run = () => (own.ended ? Promise.reject(new Error(`media: call ${callId} has ended`)) : fn());
    const next = own.tail.then(run, run);
    own.tail = next.catch(() => {});
    return next;
  }

  #parse(sdp: string): AudioDescription {
    return parseServable(sdp);
  }

  #callFor(callId: string, offer: AudioDescription): Promise<CallMedia> {
    const existing = this.#calls.get(callId);
    if (existing) return existing;
    const refused = noRelayedCodec(offer.codecs);
    if (refused) return Promise.reject(refused);
    const mediaCodecs = routerCodecsFor(offer.codecs);
    const acquired = this.#routers.acquire(callId, mediaCodecs);
    const workerPid = this.#routers.pidOf(callId) ?? 0;
    const created = acquired.then((router): CallMedia => ({
      id: callId,
      router,
      workerPid,
      legs: new Map(),
      transports: new Set(),
      codec: undefined,
      closed: false,
    }));
    this.#calls.set(callId, created);
    created.catch(() => this.#calls.delete(callId));
    return created;
  }

  /**
   * A plain leg whose SDP declares no SSRC latches onto its first packet (leg-transport.ts); the
   * learner tells its SSRC, and then its producer is made and consumed by the other legs.
   */
  #learn(call: CallMedia, leg: LegMedia): void {
    if (leg.kind !== "plain" || !leg.comedia || leg.remote?.ssrc !== undefined) return;
    const transport = leg.transport as PlainTransport;
    if (this.#learning.has(transport)) return;
    this.#learning.add(transport);
    this.#learner.watch({
      pid: call.workerPid,
      transport,
      onSsrc: (ssrc) => {
        if (call.closed || call.legs.get(leg.ref.id) !== leg || leg.transport !== transport) return;
        leg.learnedSsrc = ssrc;
        this.#relayLearnt(call);
      },
    });
  }

  /**
   * Makes the producers of legs whose SSRC was just learnt, and their consumers on the other legs,
   * in one task per call however many legs were learnt meanwhile: every request of a step is sent
   * at once, so a leg's media waits two worker round trips after its first packet, not a queue of
   * the call's other legs' requests (a burst of new calls would otherwise delay it by seconds).
   */
  #relayLearnt(call: CallMedia): void {
    if (this.#relaying.has(call)) return;
    this.#relaying.add(call);
    this.#serial(call.id, async () => {
      this.#relaying.delete(call);
      const codec = call.codec;
      if (call.closed || !codec) return; // Before the answer, its produce() uses the learnt SSRC.
      const legs = [...call.legs.values()];
      const before = legs.map((leg) => leg.producer);
      await Promise.all(legs.map((leg) => produce(call, leg, codec)));
      const renewed = legs.filter((leg, i) => leg.producer && leg.producer !== before[i]);
      // One consumer per leg: a leg's new sources are consumed in turn, the legs at once.
      await Promise.all(
        legs.map(async (leg) => {
          for (const source of renewed) if (source !== leg) await consume(call, leg, source);
        }),
      );
      await applyDirections(call);
    }).catch((err: unknown) => {
      this.#relaying.delete(call);
      if (!call.closed) mediaLog.error({ err, callId: call.id }, "relaying a learnt SSRC failed");
    });
  }

  #emit(event: MediaEvent): void {
    emitMediaEvent(event, this.#o.onEvent);
  }
}
