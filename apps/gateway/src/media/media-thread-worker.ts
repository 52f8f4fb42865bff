/**
 * The media plane's thread (see media-thread.ts): the mediasoup worker pool and MediasoupMedia,
 * driven by requests from the event loop; what they report goes back as notices.
 */
import { parentPort, workerData } from "node:worker_threads";
import { MediaRefusedError } from "../b2bua/media-port.js";
import { mediaCensus } from "./census.js";
import type { MediaEvent } from "./media-events.js";
import { MediasoupMedia, type MediasoupMediaOptions } from "./mediasoup-media.js";
import { WorkerPool, type WorkerPoolOptions } from "./worker-pool.js";
import type { MediaLegRef } from "../b2bua/media-port.js";
import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

export interface MediaThreadData {
  pool: Omit<WorkerPoolOptions, "onWorkerDied" | "onWorkerRestarted">;
  media: Pick<MediasoupMediaOptions, "listenIp" | "announcedIp" | "rtpTimeoutMs" | "pollIntervalMs">;
}

export type MediaRequest =
  | { op: "offer" | "answer"; id: number; callId: string; from: MediaLegRef; to: MediaLegRef; sdp: string }
  | { op: "census" | "callStats" | "stop"; id: number }
  | { op: "closeLeg"; callId: string; leg: MediaLegRef }
  | { op: "closeCall"; callId: string };

/** An error as it crosses the thread: a refusal keeps its Warning code and codecs. */
export interface RefusalData {
  message: string;
  refused: boolean;
  warnCode?: MediaRefusedError["warnCode"];
  codecs?: MediaRefusedError["codecs"];
}

export type MediaNotice =
  | { type: "ready"; pids: number[] }
  | { type: "failed"; message: string }
  | { type: "pids"; pids: number[] }
  | { type: "reply"; id: number; value?: unknown; error?: RefusalData }
  | { type: "endCall"; callId: string; reason: string }
  | { type: "event"; event: MediaEvent }
  | { type: "workerDied"; pid: number; message: string };

const port = parentPort!;
const { pool: poolOptions, media: mediaOptions } = workerData as MediaThreadData;
/** Notices of this turn of the event loop, posted together (as the event loop posts requests). */
let outbox: MediaNotice[] = [];
const notify = (n: MediaNotice) => {
  if (outbox.push(n) > 1) return;
  setImmediate(() => {
    port.postMessage(outbox);
    outbox = [];
  });
};

const pool = new WorkerPool({
  ...poolOptions,
  onWorkerDied: (pid, err) => notify({ type: "workerDied", pid, message: err.message }),
  onWorkerRestarted: () => notify({ type: "pids", pids: pool.pids() }),
});

async function serve(media: MediasoupMedia, m: MediaRequest): Promise<unknown> {
  switch (m.op) {
    case "offer":
      return media.offer(m.callId, m.from, m.to, m.sdp);
    case "answer":
      return media.answer(m.callId, m.from, m.to, m.sdp);
    case "census":
      return mediaCensus();
    case "callStats":
      return media.callStats();
    case "stop":
      media.stop();
      return pool.close();
    case "closeLeg":
      return media.closeLeg(m.callId, m.leg);
    case "closeCall":
      return media.closeCall(m.callId);
  }
}

try {
  await pool.start();
} catch (err) {
  // Posted at once, and the workers that did start are closed: this thread ends here.
  port.postMessage([{ type: "failed", message: (err as Error).message }] satisfies MediaNotice[]);
  await pool.close();
  process.exit(1);
}
const media = new MediasoupMedia({
  ...mediaOptions,
  pool,
  endCall: (callId, reason) => notify({ type: "endCall", callId, reason }),
  onEvent: (event) => notify({ type: "event", event }),
});
port.on("message", (batch: MediaRequest[]) => {
  for (const m of batch) handle(media, m);
});
notify({ type: "ready", pids: pool.pids() });
// From now on, as on the event loop (main.ts), a stray rejection is logged, not fatal to every
// call's media (before, a failure to start must end the thread, which start() then reports).
process.on("unhandledRejection", (err) => mediaLog.error({ err }, "unhandled rejection in the media thread"));

function handle(media: MediasoupMedia, m: MediaRequest): void {
  if (!("id" in m)) {
    serve(media, m).catch((err: unknown) => mediaLog.error({ err, op: m.op }, "media request failed"));
    return;
  }
  serve(media, m).then(
    (value) => notify({ type: "reply", id: m.id, value }),
    (err: unknown) =>
      notify({
        type: "reply",
        id: m.id,
        error:
          err instanceof MediaRefusedError
            ? { message: err.message, refused: true, warnCode: err.warnCode, codecs: err.codecs }
            : { message: (err as Error).message, refused: false },
      }),
  );
}
