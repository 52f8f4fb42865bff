/**
 * Watches each leg's RTP by reading its producer's packet counter: the first packets give
 * `media.rtp-started` (direction `received`), and the first its consumer sends to it the same
 * event with direction `sent` (SPEC §4: first RTP in each direction of a leg); a leg that should be sending and stays silent for the timeout gives
 * `media.rtp-timeout` and ends its call. Also reads per-leg packet counts for the census. A leg is
 * polled every `pollIntervalMs` until its first packets, then every quarter of the timeout.
 */
import type {
  CallMedia,
  Consumer,
  LegMedia,
  PlainTransport,
  Producer,
  WebRtcTransport,
} from "./call-media.js";
import type { LegRtpStats } from "./census.js";
import type { MediaEvent, RtpSource } from "./media-events.js";
import { sends } from "./sdp-audio.js";

export interface RtpWatchOptions {
  /** The calls now (each may still be waiting for its router), read on every poll. */
  calls: () => Iterable<Promise<CallMedia>>;
  /** No RTP from a leg that should be sending for this long ends the call. */
  rtpTimeoutMs: number;
  /** How often a leg's packet counter is read until its RTP starts. */
  pollIntervalMs: number;
  emit: (event: MediaEvent) => void;
  endCall: (callId: string, reason: string) => void;
}

export class RtpWatch {
  readonly #o: RtpWatchOptions;
  readonly #timer: NodeJS.Timeout;
  #polling = false;

  constructor(options: RtpWatchOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.#poll(), options.pollIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const timeout = this.#o.rtpTimeoutMs;
      for (const pending of [...this.#o.calls()]) {
        const call = await pending.catch(() => undefined);
        if (!call || call.closed) continue;
        for (const leg of call.legs.values()) {
          await this.#watchSent(call, leg);
          const p = leg.producer;
          if (!p || p.closed) continue;
          const now = Date.now();
          if (p.paused || !sends(leg.direction)) {
            leg.rtp.changedAt = now;
            continue;
          }
          // Once RTP flows, reading its counter a few times per timeout is enough: a thousand
          // long calls would otherwise cost two thousand worker requests a second.
          if (leg.rtp.started && now - leg.rtp.checkedAt < timeout / 4) continue;
          leg.rtp.checkedAt = now;
          const stats = await p.getStats().catch(() => []);
          const packets = stats.reduce((n, s) => n + (s.packetCount ?? 0), 0);
          if (packets > leg.rtp.packets) {
            leg.rtp.packets = packets;
            leg.rtp.changedAt = now;
            if (!leg.rtp.started) {
              leg.rtp.started = true;
              this.#o.emit({
                type: "media.rtp-started",
                callId: call.id,
                legId: leg.ref.id,
                direction: "received",
                codec: codecName(p.rtpParameters.codecs[0]?.mimeType),
                source: rtpSource(leg),
              });
            }
          } else if (now - leg.rtp.changedAt >= timeout && !call.closed) {
            this.#o.emit({
              type: "media.rtp-timeout",
              callId: call.id,
              legId: leg.ref.id,
              silentMs: now - leg.rtp.changedAt,
              codec: codecName(p.rtpParameters.codecs[0]?.mimeType),
              source: rtpSource(leg),
            });
            leg.rtp.changedAt = now;
            this.#o.endCall(call.id, "media-timeout");
            break;
          }
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  /** Until the leg's consumer has sent its first packets: reads its counter on each poll. */
  async #watchSent(call: CallMedia, leg: LegMedia): Promise<void> {
    const c = leg.consumer;
    if (leg.rtpSent || !c || c.closed || c.paused) return;
    const sent = (await c.getStats().catch(() => []))
      .filter((st: { type: string }) => st.type === "outbound-rtp")
      .reduce((n: number, st: { packetCount?: number }) => n + (st.packetCount ?? 0), 0);
    if (sent === 0 || call.closed || leg.rtpSent) return;
    leg.rtpSent = true;
    this.#o.emit({
      type: "media.rtp-started",
      callId: call.id,
      legId: leg.ref.id,
      direction: "sent",
      codec: codecName(c.rtpParameters.codecs[0]?.mimeType),
      source: rtpSource(leg),
    });
  }
}

/** `audio/PCMU` → `PCMU`. */
function codecName(mimeType: string | undefined): string {
  return mimeType?.replace(/^audio\//, "") ?? "";
}

/** The leg's RTP address: a plain leg's tuple (signalled or latched), a browser's selected ICE pair. */
export function rtpSource(leg: LegMedia): RtpSource {
  const t =
    leg.kind === "plain"
      ? (leg.transport as PlainTransport).tuple
      : (leg.transport as WebRtcTransport).iceSelectedTuple;
  return t?.remoteIp !== undefined && t.remotePort !== undefined
    ? { address: t.remoteIp, port: t.remotePort }
    : null;
}

/** RTP packet counts per leg, from the producers' and consumers' stats. */
export async function callRtpStats(
  calls: Iterable<Promise<CallMedia>>,
): Promise<{ callId: string; legs: LegRtpStats[] }[]> {
  const out: { callId: string; legs: LegRtpStats[] }[] = [];
  for (const pending of [...calls]) {
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
