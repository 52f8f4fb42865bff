/**
 * The B2BUA's dialogs by Call-ID and local tag, for in-dialog requests and ACKs to find their call
 * and leg; and what it keeps of each leg once the call has ended, for 64*T1 (the span of RFC 6026's
 * Timers L and M, while the peers may still retransmit): the leg's dialog identifiers, the Contact
 * it answers with, the CSeq it last accepted and the last ACK it sent, as bytes. That is enough to
 * answer as during the call: a late or retransmitted BYE gets 200 (RFC 3261 §15.1.2), another
 * request 481 (§12.2.2), a CANCEL 200 (§9.2), a callee's retransmitted 2xx its ACK again
 * (§13.2.2.4), each recorded on the call's trace. No parsed message, SDP, transaction or media
 * handle is kept: an ended call's Call and Leg objects are garbage at once.
 */
import {
  createResponse,
  getCallId,
  getFrom,
  getCSeq,
  getTo,
  ownString,
  parseMessage,
  type ServerTransaction,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  hasClock,
  RetainedMessage,
  type TimerHandle,
  type Timers,
  WaitQueue,
  type Waiting,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import type { Attempt, Call } from "./call.js";
import type { CallRecord, CallRecorder } from "./call-recorder.js";
import type { Leg } from "./leg.js";

export interface EndedLeg {
  readonly kind: "ended-leg";
  /** The call's record: its id and its trace's `seq` counter (late messages are still recorded). */
  readonly record: CallRecord;
  readonly legId: string;
  readonly sipCallId: string;
  readonly localTag: string;
  /** The Contact of the gateway's responses on this leg. */
  readonly contact: string;
  /** The remote CSeq the dialog last accepted: a lower one is out of order (RFC 3261 §12.2.2). */
  readonly remoteSeq: number | undefined;
  /** The ACK sent for the leg's 2xx, serialized, and where it went (sent again for a 2xx again). */
  readonly lastAck: { readonly bytes: Uint8Array; readonly flow: Flow } | undefined;
}

export interface LiveLeg {
  readonly call: Call;
  readonly leg: Leg;
}

export interface DialogIndexDeps {
  timers: Timers;
  /** How long an ended call's legs are remembered: 64*T1. */
  keepMs: number;
  recorder: CallRecorder;
  send(message: SipMessage, flow: Flow): Promise<void>;
}

const key = (sipCallId: string, localTag: string) => `${sipCallId}\n${localTag}`;

export class DialogIndex {
  readonly #o: DialogIndexDeps;
  readonly #live = new Map<string, LiveLeg>();
  readonly #ended = new Map<string, EndedLeg>();
  /**
   * The ended legs in the order they were kept, each forgotten keepMs later, under one timer
   * (unreferenced: it holds no process up); undefined for timers without a clock, which give each
   * ended call a timer of its own.
   */
  readonly #waits: WaitQueue | undefined;
  /** The legs each live call indexed (a sequential dial's earlier groups too). */
  readonly #legsOf = new WeakMap<Call, Leg[]>();

  constructor(deps: DialogIndexDeps) {
    this.#o = deps;
    const timers = deps.timers;
    if (hasClock(timers)) {
      this.#waits = new WaitQueue({
        setTimer: (ms: number, fn: () => void): TimerHandle => {
          const handle = timers.setTimer(ms, fn);
          (handle as { unref?: () => void } | undefined)?.unref?.();
          return handle;
        },
        clearTimer: (handle: TimerHandle) => timers.clearTimer(handle),
        get now() {
          return timers.now;
        },
      });
    }
  }

  /** Legs of live calls, and legs of ended calls still remembered. */
  get size(): { live: number; ended: number } {
    return { live: this.#live.size, ended: this.#ended.size };
  }

  add(call: Call, leg: Leg): void {
    this.#live.set(key(leg.sipCallId, leg.localTag), { call, leg });
    const legs = this.#legsOf.get(call);
    if (legs) legs.push(leg);
    else this.#legsOf.set(call, [leg]);
  }

  /** The dialog a request (its Call-ID and To tag, the gateway's) belongs to. */
  find(req: SipRequest): LiveLeg | EndedLeg | undefined {
    const tag = getTo(req)?.tag;
    if (tag === undefined) return undefined;
    const k = key(getCallId(req) ?? "", tag);
    return this.#live.get(k) ?? this.#ended.get(k);
  }

  /** Ended-leg entry by its identifiers (tests walk it). */
  ended(sipCallId: string, localTag: string): EndedLeg | undefined {
    return this.#ended.get(key(sipCallId, localTag));
  }

  /**
   * The call has ended: its legs are remembered as {@link EndedLeg}s for keepMs, and its settled
   * forks' transactions (which live on for RFC 6026's Timer M) keep only what re-ACKs their 2xx.
   * Returns the caller's leg as kept, for a late CANCEL.
   */
  end(call: Call): EndedLeg | undefined {
    const legs = this.#legsOf.get(call) ?? [];
    this.#legsOf.delete(call);
    const kept: RememberedLeg[] = [];
    let a: EndedLeg | undefined;
    for (const leg of legs) {
      this.#live.delete(key(leg.sipCallId, leg.localTag));
      const e = new RememberedLeg(this.#ended, call.record, leg);
      this.#ended.set(e.key, e);
      this.#waits?.add(this.#o.keepMs, e);
      kept.push(e);
      if (leg === call.a) a = e;
      const attempt = call.attempts.find((x) => x.leg === leg);
      if (attempt) this.#retire(attempt, e);
    }
    if (this.#waits === undefined) {
      // The timer holds the entries only: nothing of the call outlives it but them.
      const handle = this.#o.timers.setTimer(this.#o.keepMs, () => {
        for (const e of kept) e.expire();
      });
      (handle as { unref?: () => void } | undefined)?.unref?.();
    }
    return a;
  }

  /**
   * A fork with its final response has nothing left to decide; its INVITE transaction may still
   * pass a retransmitted 2xx up (RFC 6026 §7.2), which gets the leg's last ACK again. A fork still
   * pending (CANCELled as the call ended) keeps its listeners: its 487, or a 2xx that crossed the
   * CANCEL (ACK and BYE, RFC 3261 §15), still needs the call.
   */
  #retire(attempt: Attempt, e: EndedLeg): void {
    if (attempt.final === undefined || !attempt.retire) return;
    attempt.retire();
    if (e.lastAck) attempt.tx.on("response.received", this.#reAck);
  }

  /**
   * A response again on a retired fork's INVITE transaction: recorded on the call's trace, and a
   * 2xx ACKed again. One listener for all of them, no closure per call: the response's Call-ID and
   * From tag (the gateway's own, as the leg's UAC) name the ended leg, which outlives the
   * transaction (kept 64*T1 from the call's end, Timer M runs 64*T1 from the 2xx).
   */
  readonly #reAck = (res: SipResponse): void => {
    const e = this.#ended.get(key(getCallId(res) ?? "", getFrom(res)?.tag ?? ""));
    if (e === undefined) return;
    this.#o.recorder.message(e.record, e.legId, "received", res);
    const ack = res.status >= 200 && res.status < 300 ? lastAckOf(e) : undefined;
    if (ack && e.lastAck) void this.#o.send(ack, e.lastAck.flow).catch(() => {});
  };
}

/** What is kept of an ended call's leg, rather than a live call (or leg). */
export function isEnded(x: object): x is EndedLeg {
  return (x as { kind?: unknown }).kind === "ended-leg";
}

/** An ended leg as the index keeps it; it leaves the index when its wait runs out. */
class RememberedLeg implements EndedLeg, Waiting {
  readonly record: CallRecord;
  readonly legId: string;
  /** Its key in the index, `Call-ID\nlocal tag`: the one string both are kept in. */
  readonly key: string;
  readonly contact: string;
  readonly remoteSeq: number | undefined;
  readonly lastAck: { readonly bytes: Uint8Array; readonly flow: Flow } | undefined;
  readonly #index: Map<string, EndedLeg>;

  constructor(index: Map<string, EndedLeg>, record: CallRecord, leg: Leg) {
    this.#index = index;
    this.record = record;
    // Flat copies: the caller's Call-ID is sliced from its INVITE, which must not live on with
    // the leg; the Contact and the id are chains of concatenated pieces, several objects each.
    this.legId = ownString(leg.id);
    this.key = ownString(key(leg.sipCallId, leg.localTag));
    this.contact = sharedContact(leg.contact);
    this.remoteSeq = leg.dialog?.remoteSeq;
    this.lastAck = leg.lastAck && new RememberedAck(leg.lastAck, leg.flow);
  }

  get kind(): "ended-leg" {
    return "ended-leg";
  }

  get sipCallId(): string {
    return this.key.slice(0, this.key.lastIndexOf("\n"));
  }

  get localTag(): string {
    return this.key.slice(this.key.lastIndexOf("\n") + 1);
  }

  /** keepMs has run out: the leg is forgotten. */
  expire(): void {
    if (this.#index.get(this.key) === this) this.#index.delete(this.key);
  }
}

/**
 * The last ACK of an ended leg, as one latin1 string (sip-core's RetainedMessage): serialized
 * bytes would be a slice of Node's shared 8 KB Buffer pool, each kept slice holding its whole slab.
 */
class RememberedAck {
  readonly flow: Flow;
  readonly #ack: RetainedMessage;

  constructor(ack: SipRequest, flow: Flow) {
    this.#ack = new RetainedMessage(ack);
    this.flow = flow;
  }

  get bytes(): Uint8Array {
    return this.#ack.bytes();
  }
}

/** The gateway's Contacts, one per local address: kept once, not once per ended leg. */
const contacts = new Map<string, string>();
function sharedContact(contact: string): string {
  let kept = contacts.get(contact);
  if (kept === undefined) {
    if (contacts.size >= 64) contacts.clear(); // bounded, should Contacts ever vary per leg
    kept = ownString(contact);
    contacts.set(kept, kept);
  }
  return kept;
}

/** The ACK of an ended leg as a message again (rare: its 2xx came again). */
function lastAckOf(e: EndedLeg): SipRequest | undefined {
  if (!e.lastAck) return undefined;
  const r = parseMessage(e.lastAck.bytes);
  return r.ok && r.message.kind === "request" ? r.message : undefined;
}

/**
 * A request within an ended leg's dialog, answered as during the call (the B2BUA's onInDialog):
 * BYE 200, anything else 481, a CSeq below the last one 500 (RFC 3261 §12.2.2).
 */
export function answerLate(
  e: EndedLeg,
  req: SipRequest,
  tx: ServerTransaction,
  recorder: CallRecorder,
): void {
  recorder.message(e.record, e.legId, "received", req);
  const seq = getCSeq(req)?.seq;
  const [status, reason] =
    seq === undefined
      ? [400, "Bad CSeq"]
      : req.method !== "ACK" && e.remoteSeq !== undefined && seq < e.remoteSeq
        ? [500, "CSeq out of order"]
        : req.method === "BYE"
          ? [200, "OK"]
          : [481, "Call/Transaction Does Not Exist"];
  respondLate(e, tx, recorder, createResponse(req, status, reason, { headers: [["Contact", e.contact]] }));
}

/** A CANCEL of the INVITE of a call that has ended: 200, and the INVITE is left as it was (§9.2). */
export function answerLateCancel(
  e: EndedLeg,
  cancel: SipRequest,
  tx: ServerTransaction,
  recorder: CallRecorder,
): void {
  recorder.message(e.record, e.legId, "received", cancel);
  respondLate(e, tx, recorder, createResponse(cancel, 200, "OK", { toTag: e.localTag }));
}

function respondLate(e: EndedLeg, tx: ServerTransaction, recorder: CallRecorder, res: SipResponse): void {
  recorder.message(e.record, e.legId, "sent", res);
  try {
    tx.respond(res);
  } catch {
    // The transaction ended meanwhile (shutdown): nothing to answer.
  }
}
