/** The audio codecs an SDP offers (`call.incoming`'s `media.codecs`, SPEC §5), e.g. `["opus/48000/2", "PCMU/8000"]`. */
import { parse } from "sdp-transform";

export function offeredCodecs(sdp: string): string[] {
  try {
    const audio = parse(sdp).media.find((m) => m.type === "audio");
    return (audio?.rtp ?? []).map((r) => `${r.codec}/${r.rate ?? 8000}${r.encoding ? `/${r.encoding}` : ""}`);
  } catch {
    return [];
  }
}
