/**
 * Bookkeeping for lanes (one per callback+call, see pending-delivery.ts): which lanes are due now
 * (FIFO) and which wait for a time (min-heap). A lane is in at most one of the two at a time.
 */
import type { PendingDelivery } from "./pending-delivery.js";

export interface Lane {
  readonly key: string;
  items: PendingDelivery[];
  busy: boolean;
  /** Bumped whenever the lane is (re)queued; stale heap entries carry an older token. */
  token: number;
}

export class Deque<T> {
  #items: T[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(v: T): void {
    this.#items.push(v);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const v = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
}

interface Timed {
  at: number;
  lane: Lane;
  token: number;
}

export class TimerHeap {
  #heap: Timed[] = [];
  get length(): number {
    return this.#heap.length;
  }
  peekAt(): number | undefined {
    return this.#heap[0]?.at;
  }
  push(at: number, lane: Lane): void {
    const h = this.#heap;
    h.push({ at, lane, token: lane.token });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as Timed).at <= (h[i] as Timed).at) break;
      [h[p], h[i]] = [h[i] as Timed, h[p] as Timed];
      i = p;
    }
  }
  /** Pops every live entry due at `now`. */
  popDue(now: number): Lane[] {
    const out: Lane[] = [];
    while (this.#heap.length > 0 && (this.#heap[0] as Timed).at <= now) {
      const top = this.#pop();
      if (top.token === top.lane.token) out.push(top.lane);
    }
    return out;
  }
  #pop(): Timed {
    const h = this.#heap;
    const top = h[0] as Timed;
    const last = h.pop() as Timed;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as Timed).at < (h[m] as Timed).at) m = l;
        if (r < h.length && (h[r] as Timed).at < (h[m] as Timed).at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i] as Timed, h[m] as Timed];
        i = m;
      }
    }
    return top;
  }
}
