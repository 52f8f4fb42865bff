/**
 * A call's state in the B2BUA: one explicit lifecycle (below), the caller's leg, the forked
 * attempts of the current dial, and the bridged callee. Only {@link Call.moveTo} changes the phase,
 * and only along the arrows; `ended` is final, reached in one place (the B2BUA's `#finish`).
 *
 * ```
 * routing ──▶ asking ◀──▶ dialing ──▶ answered ──▶ ended
 *    │           │           │                      ▲
 *    └───────────┴───────────┴──────────────────────┘  (rejected, cancelled, failed, hung up)
 * ```
 * - `routing`: authenticated, the route is being chosen (application hook or default route);
 * - `asking`: the application is being asked (SPEC §5); the caller has only heard 100 Trying;
 * - `dialing`: a `dial` rings its targets; provisional responses reach the caller;
 * - `answered`: a callee is bridged; only a BYE (or a media/transport failure) follows;
 * - `ended`: the call's outcome is recorded; nothing more is sent for it.
 */
import type {
  InviteClientTransaction,
  InviteServerTransaction,
  SipRequest,
  SipResponse,
  TimerHandle,
  Timers,
} from "@hookline/sip-core";
import { InvalidStateError } from "@hookline/sip-core";
import { callLog, log, type Logger } from "@hookline/log";
import type { CallRecord } from "./call-recorder.js";
import type { Leg } from "./leg.js";
import type { MediaRefusal } from "./sdp-codecs.js";

const b2buaLog = log.child({ component: "b2bua" });

export type CallPhase = "routing" | "asking" | "dialing" | "answered" | "ended";

const NEXT: Record<CallPhase, readonly CallPhase[]> = {
  routing: ["asking", "dialing", "answered", "ended"],
  asking: ["dialing", "ended"],
  dialing: ["asking", "dialing", "answered", "ended"],
  answered: ["ended"],
  ended: [],
};

/** One forked branch toward one of a dial's contacts (RFC 3261 §16.6-like parallel forking). */
export interface Attempt {
  readonly leg: Leg;
  /** The INVITE in flight: replaced, with its transaction, by its authorized retry (RFC 3261 §22.2). */
  invite: SipRequest;
  tx: InviteClientTransaction;
  /** What the tenant dialled: a user name or a `sip:` URI (the dial outcome's `answeredBy`). */
  readonly target: string;
  provisional: boolean;
  final: number | undefined;
  /** The attempt is to be CANCELled (sent once a provisional arrived, RFC 3261 §9.1). */
  cancelled: boolean;
  /** The CANCEL has gone out. */
  cancelSent?: boolean;
  /** The callee's SDP and what the media plane made of it for the caller. */
  answer?: { from: string; to: Uint8Array };
  /** Credentials for one answer to a 401/407 (a trunk's), and whether it was given. */
  auth?: { username: string; password: string } | undefined;
  authAnswered?: boolean;
  /** Ends the attempt from outside its transaction (its connection closed): 503. */
  fail?: (status: number) => void;
  /** Drops the dialer's listeners from its transaction (the call ended: dialog-index.ts). */
  retire?: () => void;
}

/** An INVITE sent within the dialog whose 2xx still awaits the ACK from the side that asked. */
export interface PendingAck {
  readonly from: Leg;
  readonly to: Leg;
}

/** The caller's side of a call that arrived as an INVITE (absent for calls the API starts). */
export interface Inbound {
  readonly invite: SipRequest;
  readonly tx: InviteServerTransaction;
}

export class Call {
  #phase: CallPhase = "routing";
  /** The caller's leg; for an API call, the first party's once it answered. */
  a: Leg | undefined;
  b: Leg | undefined;
  /** The attempts of the dial in progress (the last dial's, once it ended). */
  attempts: Attempt[] = [];
  /** The 2xx the callee sent, relayed to the caller: the callee is ACKed when the caller ACKs. */
  bAnswer: SipResponse | undefined;
  bAcked = false;
  aAcked = false;
  /**
   * SDP offer/answer order (RFC 3264): `invite` when the caller's INVITE carried the offer,
   * `2xx` when it came without SDP (the callee's 2xx offers, the caller's ACK answers). An API call
   * starts the first party without SDP: its 2xx is the offer and its ACK waits for the answer.
   */
  offerIn: "invite" | "2xx";
  /** For an API call: the first party's 2xx (its SDP offer), ACKed once the answer is known. */
  aOffer: SipResponse | undefined;
  pendingAck: PendingAck | undefined;
  /**
   * Why the media plane refused the call's SDP (the caller's offer, or a callee's answer): a 488
   * that ends the call carries it as its Warning and records its text as the reason.
   */
  mediaRefusal: MediaRefusal | undefined;
  answeredAt: number | undefined;
  /** Serialises the asynchronous media work of responses so they reach the caller in order. */
  chain: Promise<void> = Promise.resolve();
  readonly #timers = new Set<TimerHandle>();
  #resolveDone!: () => void;
  /** Settles once the call has ended (its outcome recorded). */
  readonly done = new Promise<void>((resolve) => (this.#resolveDone = resolve));
  #log: Logger | undefined;

  constructor(
    readonly record: CallRecord,
    readonly domain: { readonly domainId: string; readonly accountId: string; readonly name: string },
    readonly inbound: Inbound | undefined,
    a: Leg | undefined,
    readonly clock: Timers,
  ) {
    this.a = a;
    this.offerIn = inbound && inbound.invite.body.length > 0 ? "invite" : "2xx";
  }

  /** The log's lines about this call carry its call and account ids (@hookline/log). */
  get log(): Logger {
    return (this.#log ??= callLog(b2buaLog, { callId: this.record.id, accountId: this.domain.accountId }));
  }

  get phase(): CallPhase {
    return this.#phase;
  }

  get ended(): boolean {
    return this.#phase === "ended";
  }

  moveTo(phase: CallPhase): void {
    if (phase === this.#phase && phase === "dialing") return;
    if (!NEXT[this.#phase].includes(phase))
      throw new InvalidStateError(`call ${this.record.id}: ${this.#phase} → ${phase}`);
    this.#phase = phase;
    if (phase === "ended") this.#resolveDone();
  }

  other(leg: Leg): Leg | undefined {
    return leg === this.a ? this.b : this.a;
  }

  legs(): Leg[] {
    const legs = this.attempts.map((x) => x.leg);
    if (this.a && !legs.includes(this.a)) legs.unshift(this.a);
    if (this.b && !legs.includes(this.b)) legs.push(this.b);
    return legs;
  }

  /** A timer that dies with the call. */
  after(ms: number, fn: () => void): TimerHandle {
    const handle = this.clock.setTimer(ms, () => {
      this.#timers.delete(handle);
      fn();
    });
    this.#timers.add(handle);
    return handle;
  }

  cancelTimer(handle: TimerHandle): void {
    if (handle === undefined) return;
    this.clock.clearTimer(handle);
    this.#timers.delete(handle);
  }

  clearTimers(): void {
    for (const t of this.#timers) this.clock.clearTimer(t);
    this.#timers.clear();
  }
}
