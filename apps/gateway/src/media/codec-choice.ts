/**
 * Which codec a call carries, and why an SDP is refused. mediasoup 3.8.4 relays but never
 * transcodes, so both legs must use one codec that the gateway relays: the answer's first codec
 * that the offer had (RFC 3264 §6.1). A refusal names the codecs each side offered, for the 488's
 * Warning (RFC 3261 §20.43). Pure: no mediasoup objects, no sockets.
 */
import { MediaRefusedError } from "../b2bua/media-port.js";
import { isMediaCodec, sameCodec } from "./router-codecs.js";
import { isWebRtc, parseAudio, type AudioDescription, type SdpCodec } from "./sdp-audio.js";

type Codec = { mimeType: string; clockRate: number; channels?: number };

/** Payload formats that carry no audio of their own: events (RFC 4733), comfort noise (RFC 3389), redundancy (RFC 2198). */
const AUXILIARY = new Set(["audio/telephone-event", "audio/cn", "audio/red"]);

/** What the gateway relays, as SDP names it (opus is always signalled /2, RFC 7587 §7). */
export const RELAYED = ["opus/48000/2", "PCMU/8000", "PCMA/8000", "G722/8000"];

/** A codec as an rtpmap line names it (RFC 4566 §6): `PCMU/8000`, `opus/48000/2`. */
export function codecName(c: Codec): string {
  const name = c.mimeType.replace(/^audio\//i, "");
  return `${name}/${c.clockRate}${c.channels !== undefined && c.channels > 1 ? `/${c.channels}` : ""}`;
}

/** The audio codecs of a list, named, without events, comfort noise and redundancy. */
export function audioCodecNames(codecs: Codec[]): string[] {
  return codecs.filter((c) => !AUXILIARY.has(c.mimeType.toLowerCase())).map(codecName);
}

function list(names: string[]): string {
  return names.length > 0 ? names.join(", ") : "none";
}

/** An SDP the media plane can serve: readable, with audio, and no SDES-keyed SRTP on RTP legs. */
export function parseServable(sdp: string): AudioDescription {
  const parsed = parseAudio(sdp);
  if (!parsed.ok) {
    const noAudio = parsed.error.startsWith("no audio");
    throw new MediaRefusedError(parsed.error, noAudio ? 304 : 399);
  }
  const d = parsed.audio;
  if (!isWebRtc(d) && (d.hasCrypto || d.protocol.includes("SAVP"))) {
    throw new MediaRefusedError("SRTP with SDES keys (RFC 4568) is not supported on RTP legs", 302);
  }
  return d;
}

/** The refusal of an offer none of whose codecs the gateway relays: no callee could answer it. */
export function noRelayedCodec(offer: Codec[]): MediaRefusedError | undefined {
  if (offer.some((c) => isMediaCodec(c))) return undefined;
  const offered = audioCodecNames(offer);
  return new MediaRefusedError(
    `no common codec: the offer has ${list(offered)}; the gateway relays ${list(RELAYED)}`,
    305,
    { offered, other: RELAYED, otherIs: "gateway" },
  );
}

/** Why a first offer could never be served, or nothing (MediaPort.refuseOffer). */
export function refuseOffer(sdp: string): MediaRefusedError | undefined {
  try {
    return noRelayedCodec(parseServable(sdp).codecs);
  } catch (err) {
    if (err instanceof MediaRefusedError) return err;
    throw err;
  }
}

/**
 * The codec of a new offer on a call that already carries `current` (a re-INVITE, another fork):
 * with no transcoding, an offer without it cannot be served.
 */
export function keepsCallCodec(offer: Codec[], current: Codec): MediaRefusedError | undefined {
  if (offer.some((c) => sameCodec(c, current))) return undefined;
  const offered = audioCodecNames(offer);
  const uses = [codecName(current)];
  return new MediaRefusedError(
    `no common codec: the offer has ${list(offered)}; the call uses ${list(uses)}`,
    305,
    { offered, other: uses, otherIs: "call" },
  );
}

/**
 * The answer's codec (RFC 3264 §6.1: the first one it lists that the offer had and the gateway
 * carries). An answer naming none, for instance a codec the offer never had, is refused.
 */
export function answerCodec(
  offer: SdpCodec[],
  answer: SdpCodec[],
  carried: (c: SdpCodec) => boolean,
): SdpCodec {
  const pick = answer.find((c) => isMediaCodec(c) && offer.some((o) => sameCodec(o, c)) && carried(c));
  if (pick) return pick;
  const offered = audioCodecNames(offer);
  const answered = audioCodecNames(answer);
  throw new MediaRefusedError(
    `no common codec: the offer has ${list(offered)}; the answer has ${list(answered)}`,
    305,
    { offered, other: answered, otherIs: "answer" },
  );
}
