/** A call's state in the B2BUA: the caller's leg, the forked attempts toward the callee, the winner. */
import type {
  InviteClientTransaction,
  InviteServerTransaction,
  SipRequest,
  SipResponse,
} from "@hookline/sip-core";
import type { CallRecord } from "./call-recorder.js";
import type { Leg } from "./leg.js";

/** One forked branch toward one of the callee's contacts (RFC 3261 §16.6-like parallel forking). */
export interface Attempt {
  readonly leg: Leg;
  readonly invite: SipRequest;
  readonly tx: InviteClientTransaction;
  provisional: boolean;
  final: number | undefined;
  /** The attempt is to be CANCELled (sent once a provisional arrived, RFC 3261 §9.1). */
  cancelled: boolean;
  /** The CANCEL has gone out. */
  cancelSent?: boolean;
  /** The callee's SDP answer and what the media plane made of it for the caller. */
  answer?: { from: string; to: Uint8Array };
}

/** An INVITE sent within the dialog whose 2xx still awaits the ACK from the side that asked. */
export interface PendingAck {
  readonly from: Leg;
  readonly to: Leg;
}

export class Call {
  b: Leg | undefined;
  readonly attempts: Attempt[] = [];
  /** The 2xx the callee sent, relayed to the caller: the callee is ACKed when the caller ACKs. */
  bAnswer: SipResponse | undefined;
  bAcked = false;
  aAcked = false;
  pendingAck: PendingAck | undefined;
  ended = false;
  /** Why the media plane refused the caller's offer toward some contact (488 if toward all). */
  mediaRefusal: string | undefined;
  /** Serialises the asynchronous media work of responses so they reach the caller in order. */
  chain: Promise<void> = Promise.resolve();
  readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly record: CallRecord,
    readonly a: Leg,
    readonly aInvite: SipRequest,
    readonly aTx: InviteServerTransaction,
  ) {}

  other(leg: Leg): Leg | undefined {
    return leg === this.a ? this.b : this.a;
  }

  legs(): Leg[] {
    return [this.a, ...this.attempts.map((x) => x.leg)];
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
