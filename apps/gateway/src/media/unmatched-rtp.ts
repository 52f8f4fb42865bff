/**
 * What a mediasoup 3.8.4 worker says about RTP it could not match to a producer.
 *
 * The worker matches plain RTP to a producer by SSRC or mid only (RtpListener::GetProducer), and
 * for a packet that matches none it logs, under the `rtp` log tag at warn level,
 * `no suitable Producer for received RTP packet [ssrc:N, payloadType:N]`
 * (Transport::ReceiveRtpPacket). That log line reaches Node over the worker's channel, where
 * mediasoup's Channel hands it to its logger as `[pid:N] ...` at once, in the channel's order: right
 * after the `tuple` notification of a comedia PlainTransport whose first packet it is. The Channel
 * emits notifications a turn later (setImmediate), so that notification is read here as the
 * Channel parses it, to keep the worker's order.
 *
 * This module taps that logger so that the media plane can learn the SSRC of endpoints that do not
 * signal one (RFC 5576 is optional; most phones and carriers omit it). Only unmatched packets are
 * logged, so nothing here runs per packet once a leg's producer exists.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { log } from "@hookline/log";

const mediaLog = log.child({ component: "media" });

export interface UnmatchedRtp {
  pid: number;
  ssrc: number;
  payloadType: number;
}

const MARK = "no suitable Producer for received RTP packet";
const LINE = /\[pid:(\d+)\].*no suitable Producer for received RTP packet \[ssrc:(\d+), payloadType:(\d+)\]/;

export interface ChannelTap {
  /** A packet matched no producer. */
  unmatched(u: UnmatchedRtp): void;
  /** A comedia PlainTransport latched onto its first packet's source (its `tuple` notification). */
  latched(transportId: string, channel: object): void;
  /**
   * Any other message a worker wrote: a notification or response on `channel`, or another warn
   * line of worker `pid`. After a `tuple`, it means the latching packet was not unmatched RTP.
   */
  other(from: { channel: object } | { pid: number }): void;
}

const PID = /^\[pid:(\d+)\]/;

const listeners = new Set<ChannelTap>();
let installed = false;

/** Reads one channel warn line; undefined unless it is an unmatched RTP packet. */
export function parseUnmatched(line: string): UnmatchedRtp | undefined {
  if (!line.includes(MARK)) return undefined;
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { pid: Number(m[1]), ssrc: Number(m[2]), payloadType: Number(m[3]) };
}

/**
 * Tells `listener` of every unmatched RTP packet and every comedia latch any worker of this thread
 * reports, in the workers' order; returns the way to stop. Workers must be created with
 * `logTags: ["rtp"]` and logLevel `warn` or lower.
 */
export function tapChannel(listener: ChannelTap): () => void {
  install();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * mediasoup's Logger reads `logger.warn` through a getter on each call; wrapping that getter
 * (once per thread) sees each warn line whether or not the `debug` namespace is enabled.
 */
function install(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const lib = path.dirname(require.resolve("mediasoup"));
  const { Logger } = require(path.join(lib, "Logger.js")) as { Logger: { prototype: object } };
  const { Channel } = require(path.join(lib, "Channel.js")) as {
    Channel: { prototype: { _processMessage: (this: unknown, msg: unknown) => void } };
  };
  const processMessage = Channel.prototype._processMessage;
  if (typeof processMessage !== "function") {
    throw new Error("mediasoup's Channel has no _processMessage: not the 3.8 layout");
  }
  Channel.prototype._processMessage = function (this: unknown, msg: unknown) {
    const n = msg as { targetId?: unknown; event?: unknown };
    if (listeners.size > 0) {
      if (n.event === "tuple" && typeof n.targetId === "string") {
        const id = n.targetId;
        for (const l of listeners) guard(() => l.latched(id, this as object));
      } else {
        for (const l of listeners) guard(() => l.other({ channel: this as object }));
      }
    }
    processMessage.call(this, msg);
  };
  const original = Object.getOwnPropertyDescriptor(Logger.prototype, "warn");
  if (!original?.get) throw new Error("mediasoup's Logger has no warn getter: not the 3.8 layout");
  // The getter is only ever called with .call(this) on a Logger below.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const get: (this: unknown) => unknown = original.get;
  const wrapped = new WeakMap<object, (...args: unknown[]) => void>();
  Object.defineProperty(Logger.prototype, "warn", {
    configurable: true,
    get(this: object) {
      let w = wrapped.get(this);
      if (!w) {
        const warn = get.call(this) as (...args: unknown[]) => void;
        w = (...args: unknown[]) => {
          const first = args[0];
          if (typeof first === "string" && listeners.size > 0) {
            const u = parseUnmatched(first);
            if (u) {
              for (const l of listeners) guard(() => l.unmatched(u));
              return;
            }
            const pid = PID.exec(first);
            if (pid) for (const l of listeners) guard(() => l.other({ pid: Number(pid[1]) }));
          }
          warn(...args);
        };
        wrapped.set(this, w);
      }
      return w;
    },
  });
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    mediaLog.error({ err }, "channel tap listener failed");
  }
}
