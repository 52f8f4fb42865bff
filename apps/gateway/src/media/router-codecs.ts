/**
 * Which codecs a call's router carries, and with which payload-type numbers.
 *
 * mediasoup 3.8.4 has no transcoding and its consumers always send the router's payload-type
 * numbers; Chromium only accepts the numbers of its own offer (RFC 3264 §6.1). So a router is
 * created from the offering side's SDP, with that side's numbers, and the gateway writes the offer
 * toward the other side itself with the same numbers.
 */
import type { Mediasoup } from "./mediasoup.js";
import type { SdpCodec } from "./sdp-audio.js";

type RtpCodecCapability = Mediasoup.types.RtpCodecCapability;
type Router = Mediasoup.types.Router;

/** Codecs browsers and phones share; telephone-event is kept in the router but never forwarded. */
const MEDIA = new Set(["audio/opus", "audio/pcmu", "audio/pcma", "audio/g722"]);
const TELEPHONE_EVENT = "audio/telephone-event";
const TELEPHONE_EVENT_RATES = new Set([8000, 16000, 32000, 48000]);

export function isMediaCodec(c: { mimeType: string; clockRate: number; channels?: number }): boolean {
  const mime = c.mimeType.toLowerCase();
  if (!MEDIA.has(mime)) return false;
  // mediasoup knows opus only as 48 kHz stereo (RFC 7587 §7 always signals /2).
  if (mime === "audio/opus") return c.clockRate === 48000 && c.channels === 2;
  return c.clockRate === 8000;
}

export function sameCodec(
  a: { mimeType: string; clockRate: number; channels?: number },
  b: { mimeType: string; clockRate: number; channels?: number },
): boolean {
  return (
    a.mimeType.toLowerCase() === b.mimeType.toLowerCase() &&
    a.clockRate === b.clockRate &&
    (a.channels ?? 1) === (b.channels ?? 1)
  );
}

/** The router's media codecs for an offer: the shared ones, in the offer's order and numbers. */
export function routerCodecsFor(offer: SdpCodec[]): RtpCodecCapability[] {
  const out: RtpCodecCapability[] = [];
  const usedPt = new Set<number>();
  for (const c of offer) {
    const mime = c.mimeType.toLowerCase();
    const isTe = mime === TELEPHONE_EVENT && TELEPHONE_EVENT_RATES.has(c.clockRate);
    if (!isTe && !isMediaCodec(c)) continue;
    if (usedPt.has(c.payloadType) || out.some((o) => sameCodec(o, c))) continue;
    usedPt.add(c.payloadType);
    out.push({
      kind: "audio",
      mimeType: c.mimeType,
      clockRate: c.clockRate,
      preferredPayloadType: c.payloadType,
      ...(c.channels !== undefined && c.channels > 1 && { channels: c.channels }),
      ...(Object.keys(c.parameters).length > 0 && !isTe && { parameters: c.parameters }),
    });
  }
  return out;
}

/** The router's capability (with the router's payload type) for a codec, if it carries it. */
export function routerCodec(
  router: Router,
  c: { mimeType: string; clockRate: number; channels?: number },
): RtpCodecCapability | undefined {
  return router.rtpCapabilities.codecs?.find((r) => sameCodec(r, c));
}

/** The media codecs of an SDP that the router carries, in the SDP's order. */
export function routerCodecsIn(router: Router, codecs: SdpCodec[]): RtpCodecCapability[] {
  return codecs.filter((c) => isMediaCodec(c)).flatMap((c) => routerCodec(router, c) ?? []);
}
