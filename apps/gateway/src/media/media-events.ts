import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

/** Where a leg's RTP comes from and goes to (its latched or signalled address, its ICE pair). */
export type RtpSource = { address: string; port: number } | null;

/**
 * What the media plane reports about a call's RTP and its worker. `media.rtp-started` and
 * `media.rtp-timeout` become the SPEC §4 callback events `media.started` and `media.timeout`
 * (the gateway's wiring hands them to the CallRecorder); `direction` is the RTP's, seen from the
 * gateway: `received` from the leg, `sent` to it.
 */
export type MediaEvent =
  | {
      type: "media.rtp-started";
      callId: string;
      legId: string;
      direction: "received" | "sent";
      codec: string;
      source: RtpSource;
    }
  | {
      type: "media.rtp-timeout";
      callId: string;
      legId: string;
      silentMs: number;
      codec: string;
      source: RtpSource;
    }
  | { type: "media.worker-died"; callId: string };

/**
 * The SPEC §4 callback event for a media event (`media.started`, `media.timeout`), or undefined
 * for those that are not callback events (a worker's death ends its calls, which says enough).
 */
export function callbackEventOf(event: MediaEvent):
  | {
      type: "media.started" | "media.timeout";
      media: {
        legId: string;
        direction: "received" | "sent";
        codec: string;
        source: RtpSource;
        silentMs?: number;
      };
    }
  | undefined {
  switch (event.type) {
    case "media.rtp-started":
      return {
        type: "media.started",
        media: { legId: event.legId, direction: event.direction, codec: event.codec, source: event.source },
      };
    case "media.rtp-timeout":
      return {
        type: "media.timeout",
        media: {
          legId: event.legId,
          direction: "received",
          codec: event.codec,
          source: event.source,
          silentMs: event.silentMs,
        },
      };
    default:
      return undefined;
  }
}

/** Logs the event and hands it to the listener; a listener that throws is logged, never rethrown. */
export function emitMediaEvent(event: MediaEvent, listener: ((event: MediaEvent) => void) | undefined): void {
  mediaLog.info(
    {
      callId: event.callId,
      ...("legId" in event && { legId: event.legId }),
      ...("direction" in event && { direction: event.direction }),
    },
    event.type,
  );
  try {
    listener?.(event);
  } catch (err) {
    mediaLog.error({ err }, "media event listener failed");
  }
}
