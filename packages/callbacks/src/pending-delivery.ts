/** What the dispatcher keeps in memory about a delivery that is not finished yet. */
export interface PendingDelivery {
  id: string;
  eventId: string;
  callbackId: string;
  accountId: string;
  callId: string | null;
  seq: number | null;
  attemptCount: number;
  /** Epoch ms. */
  nextAttemptAt: number;
  createdAt: number;
  /** Epoch ms the event was accepted, for event→first-attempt latency. */
  acceptedAt: number;
  /**
   * The signed body, kept in memory from accept to the first attempt so the fast path does not
   * read it back; dropped after that (a long retry backlog must not live in memory).
   */
  body?: string;
}

/** Deliveries of one (callback, call) go out one at a time in `seq` order; others are independent. */
export function laneKey(d: Pick<PendingDelivery, "id" | "callbackId" | "callId">): string {
  return d.callId === null ? `${d.callbackId}|#${d.id}` : `${d.callbackId}|${d.callId}`;
}

export function compareDeliveries(a: PendingDelivery, b: PendingDelivery): number {
  return (a.seq ?? 0) - (b.seq ?? 0) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
