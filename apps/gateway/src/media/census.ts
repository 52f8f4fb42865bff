/**
 * What the mediasoup workers of this process hold right now: tests and the benchmark check that a
 * finished call left no router or transport behind. Counts this thread's workers and asks media
 * planes running in threads of their own (media-thread.ts) for theirs.
 */
import type { Mediasoup } from "./mediasoup.js";

type Worker = Mediasoup.types.Worker;

const live = new Set<Worker>();

/** Called by the worker pool for every worker it spawns. */
export function trackWorker(worker: Worker): void {
  live.add(worker);
  worker.observer.once("close", () => live.delete(worker));
}

export interface MediaCensus {
  workers: number;
  routers: number;
  transports: number;
}

export async function mediaCensus(): Promise<MediaCensus> {
  let routers = 0;
  for (const worker of live) {
    const dump = (await worker.dump()) as { routerIds: string[] };
    routers += dump.routerIds.length;
  }
  const total = { workers: live.size, routers, transports: openTransports };
  for (const s of sources) {
    if (!s.census) continue;
    const c = await s.census();
    total.workers += c.workers;
    total.routers += c.routers;
    total.transports += c.transports;
  }
  return total;
}

let openTransports = 0;

/** Counts a transport until it closes (the worker's dump lists them per router only). */
export function trackTransport(transport: { observer: { once(e: "close", fn: () => void): unknown } }): void {
  openTransports++;
  transport.observer.once("close", () => openTransports--);
}

export interface LegRtpStats {
  legId: string;
  kind: "webrtc" | "plain";
  /** RTP packets mediasoup received from the leg (its producer). */
  received: number;
  /** RTP packets mediasoup sent to the leg (its consumer). */
  sent: number;
}

interface StatsSource {
  callStats(): Promise<{ callId: string; legs: LegRtpStats[] }[]>;
  /** A media plane in another thread: its workers' census (this thread's workers are counted here). */
  census?(): Promise<MediaCensus>;
}

const sources = new Set<StatsSource>();

/** Called by each media plane instance; `untrack` when it stops. */
export function trackMediaPlane(source: StatsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

/** Packet counts per leg of every call with media now, across this process's media planes. */
export async function mediaCallStats(): Promise<{ callId: string; legs: LegRtpStats[] }[]> {
  const out: { callId: string; legs: LegRtpStats[] }[] = [];
  for (const s of sources) out.push(...(await s.callStats()));
  return out;
}
