/**
 * The reads of calls, shared by the REST API (`GET /v1/calls`, `GET /v1/calls/:id`, SPEC §3) and
 * the console's calls pages: one copy of the queries, always scoped to an account (another
 * account's call is "not found"), and the views both show.
 */
import { and, asc, desc, eq, first, gte, lt, or, sql } from "@hookline/db";
import type { Call, CallHook, CallLeg, CallMessage, CallOrigin, CallState, SQL, Store } from "@hookline/db";
import { iso } from "../context.js";

/** `text` matched literally inside a LIKE pattern (its `%`, `_` and `\\` escaped). */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export const CALL_STATES = ["initiated", "ringing", "answered", "completed", "failed"] as const;
export const CALL_ORIGINS = ["inbound", "api"] as const;

export interface CallListQuery {
  accountId: string;
  state?: CallState | undefined;
  /** `inbound`: a SIP INVITE reached the gateway; `api`: `POST /v1/calls`. */
  origin?: CallOrigin | undefined;
  /** A user name: calls from or to `sip:<user>@...`. */
  user?: string | undefined;
  /** Started at or after this time (ms). */
  since?: number | undefined;
  /** Started before this time (ms). */
  until?: number | undefined;
  /** The last call of the previous page (newest first): only calls after it in that order. */
  after?: { startedAt: number; id: string } | undefined;
  limit: number;
}

/** Calls newest first, filtered; `limit` rows at most. */
export async function listCalls({ db, t: { calls } }: Store, q: CallListQuery): Promise<Call[]> {
  const conditions: Array<SQL | undefined> = [eq(calls.accountId, q.accountId)];
  if (q.state !== undefined) conditions.push(eq(calls.state, q.state));
  if (q.origin !== undefined) conditions.push(eq(calls.origin, q.origin));
  if (q.since !== undefined) conditions.push(gte(calls.startedAt, q.since));
  if (q.until !== undefined) conditions.push(lt(calls.startedAt, q.until));
  if (q.user !== undefined) {
    // Case-insensitive on both dialects (SQLite's LIKE is, PostgreSQL's is not), `%` and `_` as
    // themselves.
    const user = q.user.toLowerCase();
    conditions.push(
      or(
        ...[calls.from, calls.to].flatMap((col) =>
          ["sip", "sips"].map(
            (scheme) => sql`lower(${col}) like ${`${scheme}:${likeLiteral(user)}@%`} escape '\\'`,
          ),
        ),
      ),
    );
  }
  if (q.after !== undefined) {
    const { startedAt, id } = q.after;
    conditions.push(
      or(lt(calls.startedAt, startedAt), and(eq(calls.startedAt, startedAt), lt(calls.id, id))),
    );
  }
  return await db
    .select()
    .from(calls)
    .where(and(...conditions))
    .orderBy(desc(calls.startedAt), desc(calls.id))
    .limit(q.limit);
}

/** The account's call, or undefined (also for another account's). */
export async function findCall(
  { db, t: { calls } }: Store,
  accountId: string,
  id: string,
): Promise<Call | undefined> {
  return first(
    await db
      .select()
      .from(calls)
      .where(and(eq(calls.id, id), eq(calls.accountId, accountId)))
      .limit(1),
  );
}

/** A call's legs, its SIP trace (from `afterSeq` on, for a live view) and its hook requests. */
export async function callRecords({ db, t }: Store, callId: string, afterSeq = 0) {
  const { callHooks, callLegs, callMessages } = t;
  const legs = await db
    .select()
    .from(callLegs)
    .where(eq(callLegs.callId, callId))
    .orderBy(asc(callLegs.createdAt), asc(callLegs.id));
  const messages = await db
    .select()
    .from(callMessages)
    .where(and(eq(callMessages.callId, callId), gte(callMessages.seq, afterSeq + 1)))
    .orderBy(asc(callMessages.seq));
  const hooks = await db
    .select()
    .from(callHooks)
    .where(and(eq(callHooks.callId, callId), gte(callHooks.seq, afterSeq + 1)))
    .orderBy(asc(callHooks.seq));
  return { legs, messages, hooks };
}

export const callView = (call: Call) => ({
  id: call.id,
  sipCallId: call.sipCallId,
  domainId: call.domainId,
  from: call.from,
  to: call.to,
  origin: call.origin,
  state: call.state,
  endStatus: call.endStatus,
  endReason: call.endReason,
  startedAt: iso(call.startedAt) ?? "",
  ringingAt: iso(call.ringingAt),
  answeredAt: iso(call.answeredAt),
  endedAt: iso(call.endedAt),
  durationSec:
    call.answeredAt !== null && call.endedAt !== null
      ? Math.round((call.endedAt - call.answeredAt) / 1000)
      : null,
  reason: call.endReason,
});

export const hookView = (h: CallHook) => ({
  seq: h.seq,
  kind: h.kind,
  eventType: h.eventType,
  url: h.url,
  time: iso(h.at) ?? "",
  status: h.status,
  latencyMs: h.latencyMs,
  actions: h.actions,
  error: h.error,
});

export const legView = (leg: CallLeg) => ({
  id: leg.id,
  direction: leg.direction,
  sipCallId: leg.sipCallId,
  remoteUri: leg.remoteUri,
  transport: leg.transport,
  source: leg.source,
  state: leg.state,
  createdAt: iso(leg.createdAt) ?? "",
  answeredAt: iso(leg.answeredAt),
  endedAt: iso(leg.endedAt),
});

export const messageView = (m: CallMessage) => ({
  seq: m.seq,
  legId: m.legId,
  direction: m.direction,
  method: m.method,
  status: m.status,
  reason: m.reason,
  requestUri: m.requestUri,
  cseq: m.cseq,
  time: iso(m.at) ?? "",
  headers: m.headers,
  bodySize: m.bodySize,
  body: m.body,
});
