/**
 * Writes of the gateway's call records (calls, legs, the per-call SIP trace), as statements
 * prepared once, applied in batches: a call produces a few dozen rows, and one transaction per
 * batch instead of one auto-commit per row is what keeps the trace from bounding calls per second.
 * A batch is written on the next turn of the event loop, so readers see it within milliseconds.
 */
import { eq, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
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

/** `column = coalesce(:name, column)`: a patch leaves what it does not name as it is. */
const keep = (name: string, column: SQLiteColumn) => sql`coalesce(${sql.placeholder(name)}, ${column})`;
const p = (name: string) => sql.placeholder(name);

export function createCallStore(db: Database, onError: (err: unknown) => void = console.error): CallStore {
  const insertCall = db
    .insert(calls)
    .values({
      id: p("id"),
      accountId: p("accountId"),
      domainId: p("domainId"),
      sipCallId: p("sipCallId"),
      from: p("from"),
      to: p("to"),
      state: p("state"),
      startedAt: p("startedAt"),
    })
    .prepare();
  const updateCall = db
    .update(calls)
    .set({
      state: keep("state", calls.state),
      ringingAt: keep("ringingAt", calls.ringingAt),
      answeredAt: keep("answeredAt", calls.answeredAt),
      endedAt: keep("endedAt", calls.endedAt),
      endStatus: keep("endStatus", calls.endStatus),
      endReason: keep("endReason", calls.endReason),
    })
    .where(eq(calls.id, p("id")))
    .prepare();
  const insertLeg = db
    .insert(callLegs)
    .values({
      id: p("id"),
      callId: p("callId"),
      direction: p("direction"),
      sipCallId: p("sipCallId"),
      localTag: p("localTag"),
      remoteTag: p("remoteTag"),
      remoteUri: p("remoteUri"),
      transport: p("transport"),
      source: p("source"),
      state: p("state"),
      createdAt: p("createdAt"),
    })
    .prepare();
  const updateLeg = db
    .update(callLegs)
    .set({
      state: keep("state", callLegs.state),
      remoteTag: keep("remoteTag", callLegs.remoteTag),
      answeredAt: keep("answeredAt", callLegs.answeredAt),
      endedAt: keep("endedAt", callLegs.endedAt),
    })
    .where(eq(callLegs.id, p("id")))
    .prepare();
  const insertMessage = db
    .insert(callMessages)
    .values({
      callId: p("callId"),
      seq: p("seq"),
      legId: p("legId"),
      direction: p("direction"),
      method: p("method"),
      status: p("status"),
      reason: p("reason"),
      requestUri: p("requestUri"),
      cseq: p("cseq"),
      at: p("at"),
      headers: p("headers"),
      bodySize: p("bodySize"),
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
    insertCall: (row) => enqueue(() => insertCall.run({ domainId: null, ...row })),
    updateCall: (id, patch) =>
      enqueue(() =>
        updateCall.run({
          id,
          state: patch.state ?? null,
          ringingAt: patch.ringingAt ?? null,
          answeredAt: patch.answeredAt ?? null,
          endedAt: patch.endedAt ?? null,
          endStatus: patch.endStatus ?? null,
          endReason: patch.endReason ?? null,
        }),
      ),
    insertLeg: (row) => enqueue(() => insertLeg.run(row)),
    updateLeg: (id, patch) =>
      enqueue(() =>
        updateLeg.run({
          id,
          state: patch.state ?? null,
          remoteTag: patch.remoteTag ?? null,
          answeredAt: patch.answeredAt ?? null,
          endedAt: patch.endedAt ?? null,
        }),
      ),
    insertMessage: (row) => enqueue(() => insertMessage.run(row)),
    flush,
  };
}
