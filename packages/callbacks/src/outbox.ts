/**
 * The durable outbox: an accepted event and its deliveries (one per matching callback) are
 * written in a group commit before `write()` resolves; only then are they handed to the dispatcher.
 */
import { orderedId, type Callback, type Database } from "@hookline/db";
import type { HooklineEvent } from "./events.js";
import { eventCallId, eventSeq } from "./events.js";
import type { GroupCommit } from "./group-commit.js";
import type { PendingDelivery } from "./pending-delivery.js";
import { statements } from "./statements.js";

export class Outbox {
  readonly #group: GroupCommit;
  readonly #s;

  constructor(db: Database, group: GroupCommit) {
    this.#group = group;
    this.#s = statements(db);
  }

  write(event: HooklineEvent, matched: readonly Callback[], now: number): Promise<PendingDelivery[]> {
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
    const s = this.#s;
    return this.#group.run(() => {
      s.insertEvent.run({
        id: eventId,
        accountId: event.data.accountId,
        callId,
        seq,
        type: event.type,
        body,
        createdAt: now,
      });
      for (const p of pending) {
        s.insertDelivery.run({
          id: p.id,
          eventId,
          callbackId: p.callbackId,
          accountId: p.accountId,
          callId,
          seq,
          eventType: event.type,
          createdAt: now,
        });
      }
      return pending;
    });
  }
}
