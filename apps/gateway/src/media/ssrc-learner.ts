/**
 * Learns the SSRC of plain RTP legs whose SDP declares none, so that mediasoup 3.8.4 (which
 * matches plain RTP to a producer by SSRC or mid only) can relay them: the producer is created
 * once the first packet has told us its SSRC, and replaced when the SSRC changes mid-call.
 *
 * How a packet is tied to its leg: such a leg's PlainTransport latches onto its first packet's
 * source (comedia, RFC 4961 symmetric RTP). When that packet is RTP, the worker writes its `tuple`
 * notification and then, the packet matching no producer, its unmatched-RTP log line on its
 * channel, with nothing between (PlainTransport::OnRtpDataReceived; unmatched-rtp.ts reads both
 * in that order): so an unmatched SSRC reported as the very next message after a leg's `tuple` is
 * that leg's. Any other message between means the latching packet was something else (RTCP, which
 * latches an rtcp-mux transport too): the leg then waits like a leg whose SSRC changes. An SSRC
 * that follows no `tuple` (a carrier's media server switching streams, or such a leg's first RTP)
 * is pinned on the worker's one latched leg, or, among several, on the one whose transport is
 * receiving packets its producer does not count, read from two stats samples. No packet of a leg
 * whose producer exists reaches us.
 */
import type { PlainTransport } from "./call-media.js";
import { tapChannel, type UnmatchedRtp } from "./unmatched-rtp.js";

export interface LearningLeg {
  /** The worker process that owns the leg's transport. */
  readonly pid: number;
  readonly transport: PlainTransport;
  /** The SSRC the leg sends with now; called again when it changes. */
  onSsrc(ssrc: number): void;
}

interface Entry {
  readonly leg: LearningLeg;
  ssrc: number | undefined;
  /** Its transport latched onto a source: only such a leg can report unmatched RTP. */
  latched: boolean;
}

export interface SsrcLearnerOptions {
  /** Time between the two stats samples that tell which leg a changed SSRC belongs to. Default 60 ms. */
  sampleMs?: number;
}

export class SsrcLearner {
  readonly #sampleMs: number;
  /** Per worker: the leg whose `tuple` was its channel's last message (its SSRC may come next). */
  readonly #latched = new Map<number, Entry>();
  /** The worker of each channel that reported a watched leg's `tuple`. */
  readonly #channelPid = new WeakMap<object, number>();
  /** Legs being watched, by transport id. */
  readonly #byTransport = new Map<string, Entry>();
  /** Per worker: legs being watched. */
  readonly #legs = new Map<number, Set<Entry>>();
  /** `pid ssrc` of SSRCs pinned on a leg or being pinned now (its following packets say nothing new). */
  readonly #known = new Map<string, Entry | "resolving">();
  readonly #stop: () => void;
  /** SSRCs pinned as a leg's first, and as a later one (a change); new SSRCs left unpinned (retried on their next packet). */
  readonly stats = { first: 0, changed: 0, unresolved: 0 };

  constructor(options: SsrcLearnerOptions = {}) {
    this.#sampleMs = options.sampleMs ?? 60;
    this.#stop = tapChannel({
      unmatched: (u) => this.#unmatched(u),
      latched: (transportId, channel) => {
        const entry = this.#byTransport.get(transportId);
        const pid = entry?.leg.pid ?? this.#channelPid.get(channel);
        if (pid === undefined) return;
        this.#latched.delete(pid);
        if (!entry) return;
        this.#channelPid.set(channel, pid);
        entry.latched = true;
        if (entry.ssrc === undefined) this.#latched.set(pid, entry);
      },
      other: (from) => {
        const pid = "pid" in from ? from.pid : this.#channelPid.get(from.channel);
        if (pid !== undefined) this.#latched.delete(pid);
      },
    });
  }

  /** Watches a comedia leg until its transport closes. Register before its first packet can arrive. */
  watch(leg: LearningLeg): void {
    const entry: Entry = { leg, ssrc: undefined, latched: false };
    let set = this.#legs.get(leg.pid);
    if (!set) this.#legs.set(leg.pid, (set = new Set()));
    set.add(entry);
    this.#byTransport.set(leg.transport.id, entry);
    leg.transport.observer.once("close", () => {
      this.#byTransport.delete(leg.transport.id);
      set.delete(entry);
      if (set.size === 0 && this.#legs.get(leg.pid) === set) this.#legs.delete(leg.pid);
      if (this.#latched.get(leg.pid) === entry) this.#latched.delete(leg.pid);
      if (entry.ssrc !== undefined && this.#known.get(key(leg.pid, entry.ssrc)) === entry) {
        this.#known.delete(key(leg.pid, entry.ssrc));
      }
    });
  }

  stop(): void {
    this.#stop();
  }

  #unmatched(u: UnmatchedRtp): void {
    const k = key(u.pid, u.ssrc);
    // Right after its leg's `tuple`, even an SSRC another leg of the worker already sends is this
    // leg's (two phones playing the same recording, or a collision among random SSRCs).
    const latched = this.#latched.get(u.pid);
    if (latched) {
      this.#latched.delete(u.pid);
      this.stats.first++;
      this.#pin(latched, u.pid, u.ssrc);
      return;
    }
    if (this.#known.has(k)) return;
    // A new SSRC that follows no `tuple`: a leg that sends changed its stream, or a leg that
    // latched on RTCP sends its first RTP. Only a latched leg can (a comedia transport ignores
    // other sources).
    const candidates = [...(this.#legs.get(u.pid) ?? [])].filter((e) => e.latched);
    if (candidates.length === 0) return;
    if (candidates.length === 1) {
      this.#count(candidates[0]!);
      this.#pin(candidates[0]!, u.pid, u.ssrc);
      return;
    }
    this.#known.set(k, "resolving");
    void this.#resolve(candidates).then(
      (entry) => {
        if (this.#known.get(k) === "resolving") this.#known.delete(k);
        if (entry) this.#count(entry);
        else this.stats.unresolved++;
        if (entry) this.#pin(entry, u.pid, u.ssrc);
      },
      () => this.#known.delete(k),
    );
  }

  #count(entry: Entry): void {
    if (entry.ssrc === undefined) this.stats.first++;
    else this.stats.changed++;
  }

  #pin(entry: Entry, pid: number, ssrc: number): void {
    if (entry.ssrc !== undefined && this.#known.get(key(pid, entry.ssrc)) === entry) {
      this.#known.delete(key(pid, entry.ssrc));
    }
    entry.ssrc = ssrc;
    this.#known.set(key(pid, ssrc), entry);
    entry.leg.onSsrc(ssrc);
  }

  /**
   * The one candidate whose transport receives bytes its producer does not take (transport
   * `bytesReceived` minus `rtpBytesReceived`, which counts only matched media), or none.
   */
  async #resolve(candidates: Entry[]): Promise<Entry | undefined> {
    const unmatched = async (e: Entry) => {
      if (e.leg.transport.closed) return 0;
      const [s] = await e.leg.transport.getStats().catch(() => []);
      return s ? s.bytesReceived - s.rtpBytesReceived : 0;
    };
    const before = await Promise.all(candidates.map(unmatched));
    await new Promise((r) => setTimeout(r, this.#sampleMs));
    const after = await Promise.all(candidates.map(unmatched));
    let best: Entry | undefined;
    let bestGrowth = 0;
    let tie = false;
    candidates.forEach((e, i) => {
      const growth = after[i]! - before[i]!;
      if (growth > bestGrowth) {
        best = e;
        bestGrowth = growth;
        tie = false;
      } else if (growth > 0 && growth === bestGrowth) tie = true;
    });
    return tie ? undefined : best;
  }
}

function key(pid: number, ssrc: number): string {
  return `${pid} ${ssrc}`;
}
