/**
 * Writes of the gateway's call records (calls, legs, the per-call SIP trace), as statements
 * prepared once, applied in batches: a call produces a few dozen rows, and one transaction per
 * batch instead of one auto-commit per row is what keeps the trace from bounding calls per second.
 * A batch is written on the next turn of the event loop, so readers see it within milliseconds.
 */
import { eq, sql } from "drizzle-orm";
import type { Database } from "./open-database.js";
import { callLegs, callMessages, calls } from "./schema/calls.js";
import type { CallLeg, CallMessage } from "./schema/calls.js";

type NewCall = typeof calls.$inferInsert;
type CallPatch = Partial<Omit<NewCall, "id">>;
type LegPatch = Partial<Omit<CallLeg, "id" | "callId">>;

export interface CallStore {
  insertCall(row: NewCall): void;
  updateCall(id: string, patch: CallPatch): void;
  insertLeg(row: CallLeg): void;
  updateLeg(id: string, patch: LegPatch): void;
  insertMessage(row: CallMessage): void;
  /** Writes what is queued now (also done automatically on the next tick). */
  flush(): void;
}

export function createCallStore(db: Database, onError: (err: unknown) => void = console.error): CallStore {
  const insertMessage = db
    .insert(callMessages)
    .values({
      callId: sql.placeholder("callId"),
      seq: sql.placeholder("seq"),
      legId: sql.placeholder("legId"),
      direction: sql.placeholder("direction"),
      method: sql.placeholder("method"),
      status: sql.placeholder("status"),
      reason: sql.placeholder("reason"),
      requestUri: sql.placeholder("requestUri"),
      cseq: sql.placeholder("cseq"),
      at: sql.placeholder("at"),
      headers: sql.placeholder("headers"),
      bodySize: sql.placeholder("bodySize"),
    })
    .prepare();
  let queue: Array<() => void> = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    try {
      db.transaction(() => {
        for (const write of batch) write();
      });
    } catch {
      // One bad row must not take the batch's other rows with it: write them one by one.
      for (const write of batch) {
        try {
          write();
        } catch (err) {
          onError(err);
        }
      }
    }
  };
  const enqueue = (write: () => void) => {
    queue.push(write);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    insertCall: (row) => enqueue(() => db.insert(calls).values(row).run()),
    updateCall: (id, patch) => enqueue(() => db.update(calls).set(patch).where(eq(calls.id, id)).run()),
    insertLeg: (row) => enqueue(() => db.insert(callLegs).values(row).run()),
    updateLeg: (id, patch) => enqueue(() => db.update(callLegs).set(patch).where(eq(callLegs.id, id)).run()),
    insertMessage: (row) => enqueue(() => insertMessage.run(row)),
    flush,
  };
}
