/**
 * The media plane in a worker thread of its own: the gateway's event loop hands each offer and
 * answer over and gets the SDP to relay back, while the mediasoup channel traffic (a request and
 * its JSON per transport, connect and close), SDP parsing and writing and the RTP watch run beside
 * it. At the gateway benchmark's limit they were about a sixth of the event loop's busy time.
 *
 * This is the MediaPort the B2BUA sees; MediasoupMedia (unchanged) does the work in the thread
 * (media-thread-worker.ts). A refused offer comes back as MediaRefusedError. Should the thread
 * die, its calls are ended (`media-thread-died`) and a fresh thread takes new calls.
 */
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "@hookline/db";
import { MediaRefusedError, type MediaLegRef, type MediaPort } from "../b2bua/media-port.js";
import { refuseOffer } from "./codec-choice.js";
import { trackMediaPlane, type LegRtpStats, type MediaCensus } from "./census.js";
import { emitMediaEvent, type MediaEvent } from "./media-events.js";
import type { MediaNotice, MediaRequest, MediaThreadData } from "./media-thread-worker.js";
import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

export interface MediaThreadOptions extends MediaThreadData {
  /**
   * Ends a call from the media side (`media-timeout`, `media-worker-died`, `media-thread-died`):
   * the B2BUA's endCall.
   */
  endCall?: (callId: string, reason: string) => void;
  onEvent?: (event: MediaEvent) => void;
  onWorkerDied?: (pid: number, error: Error) => void;
  /** Called with each thread started (tests end one to show that its calls are ended). */
  onThread?: (thread: Worker) => void;
}

type CallStats = { callId: string; legs: LegRtpStats[] }[];

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** A leg reference as plain data: a flow may be a richer object than the thread needs. */
const plain = (leg: MediaLegRef): MediaLegRef => ({
  id: leg.id,
  flow: {
    transport: leg.flow.transport,
    remoteAddress: leg.flow.remoteAddress,
    remotePort: leg.flow.remotePort,
    ...(leg.flow.connectionId !== undefined && { connectionId: leg.flow.connectionId }),
  },
  ...(leg.webrtc !== undefined && { webrtc: leg.webrtc }),
});

export class MediaThread implements MediaPort {
  readonly #o: MediaThreadOptions;
  #worker!: Worker;
  readonly #pending = new Map<number, Pending>();
  /** Calls that got an offer and were not closed yet: the ones to end should the thread die. */
  readonly #calls = new Set<string>();
  #nextId = 0;
  /** Requests of this turn of the event loop, posted together (a post wakes the thread). */
  #outbox: MediaRequest[] = [];
  #pids: number[] = [];
  /**
   * `down`: the thread died and no new one could start: requests fail at once (the B2BUA answers
   * 500) instead of waiting for a thread that is not there. `closing`/`closed`: after close().
   */
  #state: "starting" | "up" | "down" | "closing" | "closed" = "starting";
  readonly #untrack: () => void;

  private constructor(options: MediaThreadOptions) {
    this.#o = options;
    this.#untrack = trackMediaPlane(this);
  }

  /** Starts the thread and its mediasoup workers; rejects if the workers cannot start. */
  static async start(options: MediaThreadOptions): Promise<MediaThread> {
    const media = new MediaThread(options);
    try {
      await media.#spawn();
    } catch (err) {
      media.#state = "closed";
      media.#untrack();
      void media.#worker.terminate();
      throw err;
    }
    return media;
  }

  /** Live mediasoup workers. */
  get size(): number {
    return this.#pids.length;
  }

  pids(): number[] {
    return [...this.#pids];
  }

  /** Lets the owner hand over endCall after construction (the B2BUA exists after the media port). */
  setEndCall(endCall: (callId: string, reason: string) => void): void {
    this.#o.endCall = endCall;
  }

  /** Lets the owner hand over the event listener after construction (the recorder comes later). */
  setOnEvent(onEvent: (event: MediaEvent) => void): void {
    this.#o.onEvent = onEvent;
  }

  /** Pure, so checked here on the event loop: no round trip to the thread for a call refused at once. */
  refuseOffer(sdp: string): MediaRefusedError | undefined {
    return refuseOffer(sdp);
  }

  offer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string> {
    this.#calls.add(callId);
    return this.#sdp("offer", callId, from, to, sdp);
  }

  answer(callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string): Promise<string> {
    return this.#sdp("answer", callId, from, to, sdp);
  }

  closeLeg(callId: string, leg: MediaLegRef): void {
    this.#post({ op: "closeLeg", callId, leg: plain(leg) });
  }

  closeCall(callId: string): void {
    this.#calls.delete(callId);
    this.#post({ op: "closeCall", callId });
  }

  /** Workers, routers and transports in the thread (for mediaCensus()). */
  census(): Promise<MediaCensus> {
    return this.#request({ op: "census", id: 0 }) as Promise<MediaCensus>;
  }

  /** RTP packet counts per leg (for mediaCallStats()). */
  callStats(): Promise<CallStats> {
    return this.#request({ op: "callStats", id: 0 }) as Promise<CallStats>;
  }

  /** Closes every call's media and the workers (waiting at most 5 s for that), then the thread. */
  async close(): Promise<void> {
    if (this.#state === "closing" || this.#state === "closed") return;
    const stopping = this.#state === "up" ? this.#request({ op: "stop", id: 0 }) : undefined;
    this.#state = "closing";
    this.#untrack();
    if (stopping) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopping, new Promise((r) => (timer = setTimeout(r, 5000)))]).catch(() => {});
      clearTimeout(timer);
    }
    this.#state = "closed";
    this.#pids = [];
    await this.#worker.terminate();
    this.#failPending("the media plane is closed");
  }

  #spawn(): Promise<void> {
    const data: MediaThreadData = { pool: this.#o.pool, media: this.#o.media };
    const worker = startModuleWorker(new URL("./media-thread-worker.ts", import.meta.url), data);
    this.#worker = worker;
    this.#o.onThread?.(worker);
    let ready = false;
    return new Promise((resolve, reject) => {
      worker.on("message", (batch: MediaNotice[]) => {
        for (const n of batch) {
          if (n.type === "ready") {
            ready = true;
            this.#pids = n.pids;
            if (this.#state === "starting") this.#state = "up";
            resolve();
          } else if (n.type === "failed") reject(new Error(n.message));
          else guard("notice", () => this.#notice(n));
        }
      });
      worker.on("error", (err) => {
        reject(err);
        mediaLog.error({ err }, "the media thread failed");
      });
      worker.on("exit", (code) => {
        reject(new Error(`the media thread exited (${code}) before it was ready`));
        if (worker !== this.#worker) return;
        if (this.#state === "up" || this.#state === "starting") this.#died(code, ready);
        else if (this.#state === "closing") this.#failPending("the media thread exited");
      });
    });
  }

  #notice(n: Exclude<MediaNotice, { type: "ready" | "failed" }>): void {
    switch (n.type) {
      case "reply": {
        const p = this.#pending.get(n.id);
        this.#pending.delete(n.id);
        if (!n.error) p?.resolve(n.value);
        else if (n.error.refused)
          p?.reject(new MediaRefusedError(n.error.message, n.error.warnCode, n.error.codecs));
        else p?.reject(new Error(n.error.message));
        return;
      }
      case "endCall":
        this.#calls.delete(n.callId);
        return this.#o.endCall?.(n.callId, n.reason);
      case "event":
        // Logged in the thread already; handed to the listener here (which must not throw).
        return this.#o.onEvent?.(n.event);
      case "workerDied":
        return this.#o.onWorkerDied?.(n.pid, new Error(n.message));
      case "pids":
        this.#pids = n.pids;
        return;
    }
  }

  /** Ends the dead thread's calls; starts a new thread if that one had started (no restart loop). */
  #died(code: number, wasReady: boolean): void {
    mediaLog.error({ code }, "the media thread exited: ending its calls");
    this.#pids = [];
    // What was queued for the dead thread: its replies will never come, its calls are ended below.
    this.#outbox = [];
    this.#failPending("the media thread exited");
    const calls = [...this.#calls];
    this.#calls.clear();
    for (const callId of calls) {
      emitMediaEvent({ type: "media.worker-died", callId }, this.#o.onEvent);
      guard("endCall", () => this.#o.endCall?.(callId, "media-thread-died"));
    }
    if (!wasReady) {
      this.#state = "down";
      mediaLog.error(
        "the media thread did not start: calls are refused media until the gateway restarts (/readyz says not ready)",
      );
      return;
    }
    this.#state = "starting";
    this.#spawn().catch((err: unknown) => mediaLog.error({ err }, "could not restart the media thread"));
  }

  #failPending(reason: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new Error(reason));
  }

  #sdp(op: "offer" | "answer", callId: string, from: MediaLegRef, to: MediaLegRef, sdp: string) {
    return this.#request({ op, id: 0, callId, from: plain(from), to: plain(to), sdp }) as Promise<string>;
  }

  #request(m: Extract<MediaRequest, { id: number }>): Promise<unknown> {
    if (this.#state === "down") return Promise.reject(new Error("the media thread is down"));
    if (this.#state !== "up" && this.#state !== "starting" && m.op !== "stop") {
      return Promise.reject(new Error("the media plane is closed"));
    }
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post({ ...m, id });
    });
  }

  #post(m: MediaRequest): void {
    if (this.#state === "closed") return;
    if (this.#outbox.push(m) === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const batch = this.#outbox;
    this.#outbox = [];
    if (batch.length > 0 && this.#state !== "closed") this.#worker.postMessage(batch);
  }
}

/** A listener of ours that throws is logged: it must not take the event loop down. */
function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    mediaLog.error({ err }, `${what} failed`);
  }
}
