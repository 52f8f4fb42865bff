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
}

/** An offer the media plane cannot serve (no codec both sides share, ...): answer 488 (RFC 3261 §21.4.26). */
export class MediaRefusedError extends Error {
  readonly code = "MEDIA_REFUSED";
}

export interface MediaPort {
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
