import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

/** What the media plane reports about a call's RTP and its worker. */
export type MediaEvent =
  | { type: "media.rtp-started"; callId: string; legId: string; codec: string }
  | { type: "media.rtp-timeout"; callId: string; legId: string; silentMs: number }
  | { type: "media.worker-died"; callId: string };

/** Logs the event and hands it to the listener; a listener that throws is logged, never rethrown. */
export function emitMediaEvent(event: MediaEvent, listener: ((event: MediaEvent) => void) | undefined): void {
  mediaLog.info({ callId: event.callId, ...("legId" in event && { legId: event.legId }) }, event.type);
  try {
    listener?.(event);
  } catch (err) {
    mediaLog.error({ err }, "media event listener failed");
  }
}
