/**
 * Records what a call carried: the call, its legs and the ordered SIP trace in the
 * database, and the same moments as typed events on the bus (SPEC §4). `seq` is one counter per call
 * shared by the trace and the events, so deliveries line up with `GET /v1/calls/:id`.
 * Recording never breaks call handling: failures are logged and the call goes on.
 */
import {
  createCallStore,
  orderedId,
  traceBody,
  type CallOrigin,
  type CallState,
  type CallStore,
  type Database,
  type LegState,
} from "@hookline/db";
import type {
  CallEventType,
  DtmfInfo,
  EventBus,
  HooklineEvent,
  MediaEventType,
  MediaInfo,
  MessageDirection,
} from "@hookline/callbacks";
import { getCallId, ownString, type SipMessage, type SipRequest, type SipResponse } from "@hookline/sip-core";
import { log } from "@hookline/log";
import { ChallengedInvites } from "./challenged-invites.js";
import { describe, withoutNonces } from "./message-info.js";
import type { HookEntry } from "./ports.js";

const callsLog = log.child({ component: "calls" });

export interface CallRecord {
  readonly id: string;
  readonly accountId: string;
  readonly from: string;
  readonly to: string;
  readonly startedAt: number;
  state: CallState;
  seq: number;
  /** The `call` object of its events, made anew when the state changes. */
  info?: CallInfo;
}

type CallInfo = ReturnType<typeof callInfo>;

export class CallRecorder {
  readonly #store: CallStore;
  readonly #bus: EventBus | undefined;
  readonly #now: () => number;
  readonly #nodeId: string | null;
  readonly #challenges = new ChallengedInvites();
  /** The current second as ISO text up to its ".": a timestamp adds only its milliseconds. */
  #isoSecond = { second: Number.NaN, prefix: "" };

  /**
   * `source`: a SQLite database (the store is made here) or a call store made elsewhere (on
   * PostgreSQL, createPgCallStore). `writerThread`: SQLite's rows are written by a worker thread
   * (the gateway; see call-store.ts). `nodeId`: the node that carries the calls, on each call row
   * (cluster/node-lost.ts).
   */
  constructor(
    source: Database | CallStore,
    bus: EventBus | undefined,
    {
      now = Date.now,
      writerThread = false,
      nodeId,
    }: { now?: () => number; writerThread?: boolean; nodeId?: string } = {},
  ) {
    this.#store =
      "insertCall" in source
        ? source
        : createCallStore(source, {
            writerThread,
            onError: (err) => callsLog.error({ err }, "recording failed"),
          });
    this.#bus = bus;
    this.#now = now;
    this.#nodeId = nodeId ?? null;
  }

  createCall(input: {
    accountId: string;
    domainId: string;
    sipCallId: string;
    from: string;
    to: string;
    origin?: CallOrigin;
  }): CallRecord {
    const record: CallRecord = {
      id: ownString(orderedId("call", this.#now())),
      accountId: input.accountId,
      from: ownString(input.from), // copies: the record outlives the INVITE (late ACK/BYE)
      to: ownString(input.to),
      startedAt: this.#now(),
      state: "initiated",
      seq: 0,
    };
    this.#live.set(record.id, record);
    this.#store.insertCall({
      id: record.id,
      accountId: input.accountId,
      domainId: input.domainId,
      sipCallId: input.sipCallId,
      from: input.from,
      to: input.to,
      origin: input.origin ?? "inbound",
      state: "initiated",
      startedAt: record.startedAt,
      nodeId: this.#nodeId,
    });
    return record;
  }

  /** Writes what is queued now: for readers that need the call's rows (they are batched). */
  flush(): void | Promise<void> {
    return this.#store.flush();
  }

  /** Writes what is queued; records after this are dropped (the database is about to close). */
  close(): void | Promise<void> {
    return this.#store.close();
  }

  /** Publishes `call.initiated`; separate from createCall so per-call callbacks can be registered first. */
  initiated(call: CallRecord): void {
    this.#lifecycle(call, "call.initiated");
  }

  createLeg(
    call: CallRecord,
    leg: {
      direction: "inbound" | "outbound";
      sipCallId: string;
      localTag: string;
      remoteTag?: string | null;
      remoteUri: string;
      transport: string;
      source: string;
      /** The trunk an outbound leg goes out through (its minutes count toward the trunk's cap). */
      trunkId?: string | null | undefined;
    },
  ): string {
    const id = orderedId("leg", this.#now());
    this.#store.insertLeg({
      id,
      callId: call.id,
      ...leg,
      remoteTag: leg.remoteTag ?? null,
      trunkId: leg.trunkId ?? null,
      state: "trying",
      createdAt: this.#now(),
      answeredAt: null,
      endedAt: null,
    });
    // The caller's trace starts with the challenge its INVITE answered (RFC 3261 §22.2). Those
    // messages go to the trace only: they were sent before there was a call to publish events of.
    if (leg.direction === "inbound") {
      for (const held of this.#challenges.take(leg.sipCallId, this.#now())) {
        this.#trace(call, id, held.direction, held.message, held.at, withoutNonces);
      }
    }
    return id;
  }

  /** A caller's INVITE got a 401/407: kept briefly for the call its retry becomes (challenged-invites.ts). */
  challenged(req: SipRequest, challenge: SipResponse): void {
    const callId = getCallId(req);
    if (callId === undefined) return;
    const at = this.#now();
    this.#challenges.add(
      callId,
      [
        { direction: "received", message: req, at },
        { direction: "sent", message: challenge, at },
      ],
      at,
    );
  }

  updateLeg(legId: string, patch: { state?: LegState; remoteTag?: string }): void {
    const now = this.#now();
    this.#store.updateLeg(legId, {
      state: patch.state,
      remoteTag: patch.remoteTag,
      answeredAt: patch.state === "confirmed" ? now : undefined,
      endedAt: patch.state === "terminated" ? now : undefined,
    });
  }

  /** Moves the call to a new state (forward only) and publishes `call.<state>`. */
  setState(call: CallRecord, state: CallState, end?: CallEnd): void {
    if (call.state === state || call.state === "completed" || call.state === "failed") return;
    call.state = state;
    call.info = undefined;
    if (state === "completed" || state === "failed") this.#live.delete(call.id);
    const now = this.#now();
    this.#store.updateCall(call.id, {
      state,
      ...(state === "ringing" && { ringingAt: now }),
      ...(state === "answered" && { answeredAt: now }),
      ...((state === "completed" || state === "failed") && {
        endedAt: now,
        endStatus: end?.status ?? null,
        endReason: end?.reason ?? null,
      }),
    });
    this.#lifecycle(call, `call.${state}`, end);
  }

  /** One SIP message of one leg, received or sent by the gateway. */
  message(call: CallRecord, legId: string, direction: MessageDirection, m: SipMessage): void {
    const at = this.#now();
    const { seq, info } = this.#trace(call, legId, direction, m, at);
    this.#publish({
      type: m.kind === "request" ? `sip.${m.method}` : `sip.${m.status}`,
      timestamp: this.#iso(at),
      data: {
        accountId: call.accountId,
        callId: call.id,
        seq,
        message: info,
        call: infoOf(call),
      },
    });
  }

  /** One row of the call's SIP trace; returns its seq and the message as events describe it. */
  #trace(
    call: CallRecord,
    legId: string,
    direction: MessageDirection,
    m: SipMessage,
    at: number,
    redact: (headers: Record<string, string>) => Record<string, string> = (h) => h,
  ) {
    const seq = ++call.seq;
    const info = describe(m, direction);
    info.headers = redact(info.headers);
    this.#store.insertMessage({
      callId: call.id,
      seq,
      legId,
      direction,
      method: m.kind === "request" ? m.method : null,
      status: m.kind === "response" ? m.status : null,
      reason: info.reason,
      requestUri: info.requestUri,
      cseq: info.cseq,
      at,
      headers: info.headers,
      bodySize: m.body.length,
      body: traceBody(m.body),
    });
    return { seq, info };
  }

  /** An application-hook request on the call's timeline (SPEC §5), numbered with its messages. */
  hook(call: CallRecord, entry: HookEntry): void {
    this.#store.insertHook({ callId: call.id, seq: ++call.seq, at: this.#now(), ...entry });
  }

  #lifecycle(call: CallRecord, type: CallEventType, end?: CallEnd): void {
    const seq = ++call.seq;
    const now = this.#now();
    this.#publish({
      type,
      timestamp: this.#iso(now),
      data: {
        accountId: call.accountId,
        callId: call.id,
        seq,
        call: end
          ? {
              ...callInfo(call),
              answeredAt: end.answeredAt === undefined ? null : new Date(end.answeredAt).toISOString(),
              endedAt: this.#iso(now),
              durationSec: end.answeredAt === undefined ? null : Math.round((now - end.answeredAt) / 1000),
              reason: end.reason ?? null,
              endStatus: end.status ?? null,
              endReason: end.reason ?? null,
            }
          : infoOf(call),
      },
    });
  }

  /** `new Date(ms).toISOString()`, formatting a date once a second rather than once an event. */
  #iso(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (this.#isoSecond.second !== second)
      this.#isoSecond = { second, prefix: new Date(second * 1000).toISOString().slice(0, 20) };
    const milli = Math.floor(ms) - second * 1000;
    return `${this.#isoSecond.prefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
  }

  #publish(event: HooklineEvent): void {
    this.#guard(() => this.#bus?.publish(event));
  }

  #guard(fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      callsLog.error({ err }, "recording failed");
    }
  }

  /** Calls not yet completed or failed, by id: the media plane names a call by its id only. */
  readonly #live = new Map<string, CallRecord>();

  /**
   * A media event of a call still going on (SPEC §4 `media.started`, `media.timeout`), published
   * in the call's `seq` order; events of calls that have ended are dropped.
   */
  media(callId: string, type: MediaEventType, media: MediaInfo): void {
    const call = this.#live.get(callId);
    if (!call) return;
    const seq = ++call.seq;
    this.#publish({
      type,
      timestamp: this.#iso(this.#now()),
      data: { accountId: call.accountId, callId: call.id, seq, media, call: infoOf(call) },
    });
  }

  /** A digit one leg sent (SPEC §4 `call.dtmf`), numbered after the message that carried it. */
  dtmf(call: CallRecord, dtmf: DtmfInfo): void {
    const seq = ++call.seq;
    this.#publish({
      type: "call.dtmf",
      timestamp: this.#iso(this.#now()),
      data: { accountId: call.accountId, callId: call.id, seq, dtmf, call: infoOf(call) },
    });
  }
}

/** How a call ended: its final status (a failed call's), reason and answer time. */
export interface CallEnd {
  status?: number;
  reason?: string;
  answeredAt?: number | undefined;
}

/** An event's `call` object: kept while the call runs, made per event once it has ended (64*T1). */
function infoOf(call: CallRecord): CallInfo {
  return call.state === "completed" || call.state === "failed"
    ? callInfo(call)
    : (call.info ??= callInfo(call));
}

function callInfo(call: CallRecord) {
  return {
    id: call.id,
    state: call.state,
    from: call.from,
    to: call.to,
    startedAt: new Date(call.startedAt).toISOString(),
  };
}
