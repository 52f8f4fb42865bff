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
  cancelled: boolean;
}

/** An INVITE sent within the dialog whose 2xx still awaits the ACK from the side that asked. */
export interface PendingAck {
  readonly from: Leg;
  readonly to: Leg;
  /** CSeq number of the re-INVITE the `to` leg answered. */
  readonly toCseq: number;
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
