/**
 * The durable outbox: an accepted event and its deliveries (one per matching callback) are
 * written in a group commit before `write()` resolves; only then are they handed to the dispatcher.
 */
import { orderedId, type Callback } from "@hookline/db";
import type { HooklineEvent } from "./events.js";
import { eventCallId, eventSeq } from "./events.js";
import type { PendingDelivery } from "./pending-delivery.js";
import type { CallbackStore } from "./store/callback-store.js";

export class Outbox {
  readonly #store: CallbackStore;

  constructor(store: CallbackStore) {
    this.#store = store;
  }

  async write(event: HooklineEvent, matched: readonly Callback[], now: number): Promise<PendingDelivery[]> {
    const eventId = orderedId("evt", now);
    const callId = eventCallId(event);
    const seq = eventSeq(event);
    const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
    const pending: PendingDelivery[] = matched.map((cb) => ({
      id: orderedId("dlv", now),
      eventId,
      callbackId: cb.id,
      accountId: event.data.accountId,
      callId,
      seq,
      attemptCount: 0,
      nextAttemptAt: now,
      createdAt: now,
      acceptedAt: now,
      body,
    }));
    await this.#store.writeOutbox({
      eventId,
      accountId: event.data.accountId,
      callId,
      seq,
      type: event.type,
      body,
      createdAt: now,
      deliveries: pending,
    });
    return pending;
  }
}
