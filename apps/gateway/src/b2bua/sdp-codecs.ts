/**
 * What the B2BUA says about an SDP's codecs: the ones it offers (`call.incoming`'s `media.codecs`,
 * SPEC §5), and why the media plane refused it, worded from the caller's side for the 488's
 * Warning (RFC 3261 §20.43) and the call's recorded reason.
 */
import { parse, write } from "sdp-transform";
import type { MediaRefusedError } from "./media-port.js";

/** The audio codecs an SDP offers, e.g. `["opus/48000/2", "PCMU/8000"]`. */
export function offeredCodecs(sdp: string): string[] {
  try {
    const audio = parse(sdp).media.find((m) => m.type === "audio");
    return (audio?.rtp ?? []).map((r) => `${r.codec}/${r.rate ?? 8000}${r.encoding ? `/${r.encoding}` : ""}`);
  } catch {
    return [];
  }
}

/** A media refusal as the call keeps it: the Warning's code and text. */
export interface MediaRefusal {
  warnCode: number;
  text: string;
}

/**
 * The refusal worded with the parties' roles: `offerer` is the side whose offer was refused or
 * answered, e.g. `no common codec: caller offered G729/8000; the gateway relays opus/48000/2, ...`
 * or `no common codec: caller offered PCMU/8000; callee answered G729/8000`.
 */
export function mediaRefusal(err: MediaRefusedError, offerer: "caller" | "callee"): MediaRefusal {
  const c = err.codecs;
  if (!c) return { warnCode: err.warnCode, text: err.message };
  const list = (names: string[]) => (names.length > 0 ? names.join(", ") : "none");
  const answerer = offerer === "caller" ? "callee" : "caller";
  const other =
    c.otherIs === "answer"
      ? `${answerer} answered ${list(c.other)}`
      : c.otherIs === "gateway"
        ? `the gateway relays ${list(c.other)} (no transcoding)`
        : `the call uses ${list(c.other)}`;
  return { warnCode: err.warnCode, text: `no common codec: ${offerer} offered ${list(c.offered)}; ${other}` };
}

/** The Warning header's value (RFC 3261 §20.43: warn-code SP warn-agent SP quoted-string). */
export function warningValue(r: MediaRefusal): string {
  return `${r.warnCode} hookline "${r.text.replace(/["\\]/g, "")}"`;
}

/**
 * A valid answer that declines every stream of `offer` (RFC 3264 §6: port zero), for the ACK of a
 * 2xx whose offer cannot be served before the BYE that ends it (RFC 3261 §13.2.2.4).
 */
export function declineAll(offer: string): string | undefined {
  try {
    const session = parse(offer);
    return write({
      ...session,
      origin: { ...session.origin, username: "hookline" },
      media: session.media.map((m) => ({ ...m, port: 0 })),
    });
  } catch {
    return undefined;
  }
}
