/**
 * What a lost node's calls become (SPEC §5: every call is recorded; a crash ends its calls): each
 * call it still carried is recorded `failed` with reason `node-lost`, its legs terminated, and a
 * `call.failed` event accepted as the B2BUA's own ending would publish it (call-recorder.ts), so
 * the tenant's callbacks hear of it. Nobody sent a final response, so `endStatus` stays null.
 *
 * The UPDATE is conditional on the call still being in progress and returns the rows it changed:
 * of two nodes ending the same calls at once (two survivors, or a survivor and the node itself
 * restarting), each call is ended by exactly one, and only that one publishes its event. Queries
 * go through drizzle's builder, awaited, so they read the same on either dialect.
 */
import type { HooklineEvent } from "@hookline/callbacks";
import { and, eq, inArray, max, ne, type CallState, type Store } from "@hookline/db";

export const NODE_LOST = "node-lost";

/** The states of a call still in progress (call-recorder.ts moves forward only, to an end). */
const IN_PROGRESS: CallState[] = ["initiated", "ringing", "answered"];
/** Ids per `IN (...)`: well below SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

export interface NodeLostDeps {
  /** The cluster's shared database, on either dialect. */
  store: Store;
  /** Makes an event durable (the callback engine's accept); its failure is the caller's to log. */
  accept: (event: HooklineEvent) => Promise<unknown>;
  now?: () => number;
}

interface EndedCall {
  id: string;
  accountId: string;
  from: string;
  to: string;
  startedAt: number;
  answeredAt: number | null;
}

/**
 * Ends the calls `nodeId` still carried; returns their ids. Events are accepted after the rows
 * are written, one per call, numbered after everything the call recorded or published durably.
 */
export async function endCallsOfNode(deps: NodeLostDeps, nodeId: string): Promise<string[]> {
  const now = (deps.now ?? Date.now)();
  const { db, t } = deps.store;
  const { calls, callLegs } = t;
  const ended: EndedCall[] = await db
    .update(calls)
    .set({ state: "failed", endedAt: now, endStatus: null, endReason: NODE_LOST })
    .where(and(eq(calls.nodeId, nodeId), inArray(calls.state, IN_PROGRESS)))
    .returning({
      id: calls.id,
      accountId: calls.accountId,
      from: calls.from,
      to: calls.to,
      startedAt: calls.startedAt,
      answeredAt: calls.answeredAt,
    });
  const seqs = new Map<string, number>();
  for (let i = 0; i < ended.length; i += CHUNK) {
    const ids = ended.slice(i, i + CHUNK).map((c) => c.id);
    await db
      .update(callLegs)
      .set({ state: "terminated", endedAt: now })
      .where(and(inArray(callLegs.callId, ids), ne(callLegs.state, "terminated")));
    for (const [callId, seq] of await lastSeqs(deps.store, ids))
      seqs.set(callId, Math.max(seqs.get(callId) ?? 0, seq));
  }
  const endedAt = new Date(now).toISOString();
  for (const call of ended) {
    await deps.accept(failedEvent(call, (seqs.get(call.id) ?? 0) + 1, now, endedAt));
  }
  return ended.map((c) => c.id);
}

/** One indexed probe (calls_node_state_idx): does `nodeId` still carry a call? */
export async function hasCallsInProgress({ db, t: { calls } }: Store, nodeId: string): Promise<boolean> {
  const rows = await db
    .select({ id: calls.id })
    .from(calls)
    .where(and(eq(calls.nodeId, nodeId), inArray(calls.state, IN_PROGRESS)))
    .limit(1);
  return rows.length > 0;
}

/**
 * The highest `seq` each call used where it left a durable trace: its SIP messages, its hook
 * requests and its accepted events. A lost node's counter is gone; the next number after all of
 * these keeps the call's events in order for every callback (events it published that were never
 * made durable were lost with it).
 */
async function lastSeqs({ db, t }: Store, ids: string[]): Promise<Array<[string, number]>> {
  const { callHooks, callMessages, outboxEvents } = t;
  const out: Array<[string, number]> = [];
  for (const [table, callId, seq] of [
    [callMessages, callMessages.callId, callMessages.seq],
    [callHooks, callHooks.callId, callHooks.seq],
    [outboxEvents, outboxEvents.callId, outboxEvents.seq],
  ] as const) {
    const rows = await db
      .select({ callId, seq: max(seq) })
      .from(table)
      .where(inArray(callId, ids))
      .groupBy(callId);
    for (const r of rows) if (r.callId !== null && r.seq !== null) out.push([r.callId, r.seq]);
  }
  return out;
}

/** `call.failed` as CallRecorder publishes it for a call that ends (SPEC §4, §5 end fields). */
function failedEvent(call: EndedCall, seq: number, now: number, endedAt: string): HooklineEvent {
  return {
    type: "call.failed",
    timestamp: endedAt,
    data: {
      accountId: call.accountId,
      callId: call.id,
      seq,
      call: {
        id: call.id,
        state: "failed",
        from: call.from,
        to: call.to,
        startedAt: new Date(call.startedAt).toISOString(),
        answeredAt: call.answeredAt === null ? null : new Date(call.answeredAt).toISOString(),
        endedAt,
        durationSec: call.answeredAt === null ? null : Math.round((now - call.answeredAt) / 1000),
        reason: NODE_LOST,
        endStatus: null,
        endReason: NODE_LOST,
      },
    },
  };
}
