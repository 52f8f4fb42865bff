/**
 * What the B2BUA asks of the media plane (SPEC §1): every SDP that crosses from one leg to the other
 * goes through here, so that each leg's SDP names the gateway's media endpoint rather than the
 * other party's. The pass-through port leaves SDP as it is (signaling-only deployments and tests).
 */
import type { Flow } from "../transport/types.js";

export interface MediaLegRef {
  /** The leg's id (stable for the call's life). */
  readonly id: string;
  readonly flow: Flow;
  /** Whether the leg is a browser, when its flow cannot say (a contact another node relays). */
  readonly webrtc?: boolean | undefined;
}

/**
 * The codecs behind a refusal, as SDP names them (`PCMU/8000`, `opus/48000/2`): the B2BUA words
 * the Warning from them, since only it knows which side is the caller.
 */
export interface CodecMismatch {
  /** The offer's media codecs. */
  offered: string[];
  /** The answer's (`answer`), what the gateway relays (`gateway`), or the codec the call uses (`call`). */
  other: string[];
  otherIs: "answer" | "gateway" | "call";
}

/**
 * An offer or answer the media plane cannot serve (no codec both sides share, ...): answer 488
 * (RFC 3261 §21.4.26) with a Warning whose code (§20.43) says why: 304 media type not available,
 * 302 incompatible transport protocol, 305 incompatible media format, 399 anything else.
 */
export class MediaRefusedError extends Error {
  readonly code = "MEDIA_REFUSED";

  constructor(
    message: string,
    readonly warnCode: 302 | 304 | 305 | 399 = 399,
    readonly codecs?: CodecMismatch,
  ) {
    super(message);
  }
}

export interface MediaPort {
  /**
   * Why a caller's first offer could never be served (no codec the media plane relays, no audio,
   * SDES keys), or nothing: checked before the call is routed, so that nobody rings for a call
   * that cannot carry audio. Pure and synchronous; no resource is taken.
   */
  refuseOffer?(sdp: string): MediaRefusedError | undefined;
  /** `from` offers `sdp`; returns the offer to send to `to`. May throw {@link MediaRefusedError}. */
  offer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string>;
  /** `from` answers the offer it got; returns the answer to relay to `to`. */
  answer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string>;
  /** A leg is gone (a losing fork, a failed attempt): free what it held. */
  closeLeg(callId: string, leg: MediaLegRef): void;
  /** The call ended: nothing of it may remain. */
  closeCall(callId: string): void;
}

export const passThroughMedia: MediaPort = {
  offer: (_c, _f, _t, sdp) => Promise.resolve(sdp),
  answer: (_c, _f, _t, sdp) => Promise.resolve(sdp),
  closeLeg: () => {},
  closeCall: () => {},
};
