/**
 * Forking a dial (RFC 3261 §16.6-like, done by a B2BUA): the INVITE of each contact, and what each
 * of its responses means for the call. The forker decides; it sends nothing but the INVITEs and
 * changes no call state beyond its attempts: the B2BUA carries out the {@link ForkDecision}s
 * (relay a provisional, bridge the first 2xx, ACK+BYE a late 2xx, answer the best failure).
 */
import { generateCallId, generateTag, type HeaderInput, type SipResponse } from "@hookline/sip-core";
import type { Attempt, Call } from "./call.js";
import { authorizedInvite, RetryableInvite } from "./challenge-answer.js";
import { Leg } from "./leg.js";
import type { B2buaOptions, DialContact } from "./ports.js";
import { nameAddr } from "./sip-helpers.js";

export type ForkDecision =
  /** Nothing for the caller (a 100, a provisional after the call was decided, ...). */
  | { kind: "none" }
  /** A provisional on an attempt to be CANCELled: the CANCEL may go now (RFC 3261 §9.1). */
  | { kind: "send-cancel"; attempt: Attempt }
  /** A provisional with a To tag: relay it (RFC 3261 §16.7 step 5). */
  | { kind: "early"; attempt: Attempt; res: SipResponse }
  /** The first 2xx: bridge this attempt, CANCEL the others. */
  | { kind: "answered"; attempt: Attempt; res: SipResponse }
  /** The callee's 2xx again: its ACK was lost (RFC 3261 §13.2.2.4). */
  | { kind: "retransmitted-2xx"; attempt: Attempt }
  /** A 2xx after another attempt won (or the call ended): ACK, then BYE (RFC 3261 §16.7 step 5 note). */
  | { kind: "late-2xx"; attempt: Attempt; res: SipResponse }
  /** This attempt failed; others are still out. */
  | { kind: "attempt-failed"; attempt: Attempt }
  /** Every attempt failed: the best final status (§16.7 step 6) decides the dial. */
  | { kind: "all-failed"; attempt: Attempt; status: number; reason: string | undefined };

export type ForkerDeps = Pick<B2buaOptions, "layer" | "recorder" | "transportFor" | "localAddress">;

export interface ForkOptions {
  from: { displayName?: string | undefined; uri: string };
  to: { displayName?: string | undefined; uri: string };
  body: Uint8Array;
  contentType?: string | undefined;
  headers: HeaderInput[];
}

export class Forker {
  readonly #o: ForkerDeps;

  constructor(deps: ForkerDeps) {
    this.#o = deps;
  }

  /** A leg toward `contact`, recorded, before its INVITE (the media plane needs it for the offer). */
  newLeg(call: Call, contact: DialContact): Leg {
    const sipCallId = generateCallId();
    const localTag = generateTag();
    const legId = this.#o.recorder.createLeg(call.record, {
      direction: "outbound",
      sipCallId,
      localTag,
      remoteUri: contact.contact,
      transport: contact.flow.transport,
      source: `${contact.flow.remoteAddress}:${contact.flow.remotePort}`,
      trunkId: contact.trunkId,
    });
    const local = this.#o.localAddress(contact.flow);
    return new Leg(legId, contact.flow, local, sipCallId, localTag, contact.webrtc);
  }

  /** Sends the INVITE of `leg`; the caller wires the transaction's events to {@link decide}. */
  invite(call: Call, leg: Leg, contact: DialContact, o: ForkOptions): Attempt | undefined {
    const invite = leg.initialInvite(
      nameAddr(o.from.displayName, o.from.uri),
      nameAddr(o.to.displayName, o.to.uri),
      contact.contact,
      {
        headers: [
          // A contact another node holds: through that node (RFC 3327 §5, RFC 3261 §16.12).
          ...(contact.route ? [["Route", contact.route] as HeaderInput] : []),
          ...o.headers,
          ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, NOTIFY, UPDATE"],
        ],
        body: o.body,
        ...(o.contentType && { contentType: o.contentType }),
      },
    );
    const tx = this.#o.layer.createClientTransaction(invite, this.#o.transportFor(contact.flow));
    if (tx.method !== "INVITE") return undefined;
    const attempt: Attempt = {
      leg,
      invite,
      // With credentials, the transaction may be replaced by its authorized retry.
      tx: (contact.auth ? new RetryableInvite(tx as Attempt["tx"]) : tx) as Attempt["tx"],
      auth: contact.auth,
      target: contact.target,
      provisional: false,
      final: undefined,
      cancelled: false,
    };
    call.attempts.push(attempt);
    this.#o.recorder.message(call.record, leg.id, "sent", invite);
    return attempt;
  }

  /** What a response to an attempt means; updates the attempt and its leg's dialog only. */
  decide(call: Call, attempt: Attempt, res: SipResponse): ForkDecision {
    const status = res.status;
    const leg = attempt.leg;
    if (status < 200) {
      // RFC 3261 §9.1: any provisional, 100 included, lets a pending CANCEL go (the B2BUA sends it).
      attempt.provisional = true;
      if (attempt.cancelled) return { kind: "send-cancel", attempt };
      if (status === 100 || call.b || call.ended || attempt.final !== undefined) return { kind: "none" };
      leg.establishAsUac(attempt.invite, res);
      return { kind: "early", attempt, res };
    }
    if (status < 300) {
      if (call.b === leg || call.a === leg) return { kind: "retransmitted-2xx", attempt };
      // The 2xx again after its SDP was refused (ACK and BYE went out, see Dialer): ACK it again.
      if (attempt.final !== undefined && attempt.final >= 300) return { kind: "retransmitted-2xx", attempt };
      attempt.final = status;
      leg.establishAsUac(attempt.invite, res);
      if (call.b || call.ended || attempt.cancelled || call.phase !== "dialing")
        return { kind: "late-2xx", attempt, res };
      return { kind: "answered", attempt, res };
    }
    if ((status === 401 || status === 407) && this.#answerChallenge(call, attempt, res))
      return { kind: "none" };
    return this.failed(call, attempt, status, res.reason);
  }

  /** A carrier's challenge, answered once with the contact's credentials (RFC 3261 §22.2). */
  #answerChallenge(call: Call, attempt: Attempt, res: SipResponse): boolean {
    const tx: unknown = attempt.tx;
    if (!attempt.auth || attempt.authAnswered || !(tx instanceof RetryableInvite)) return false;
    if (attempt.cancelled || call.ended || call.b) return false;
    const next = authorizedInvite(attempt.invite, res, attempt.auth);
    if (!next) return false;
    attempt.authAnswered = true;
    const retry = this.#o.layer.createClientTransaction(next, this.#o.transportFor(attempt.leg.flow));
    if (retry.method !== "INVITE") return false;
    attempt.invite = next;
    this.#o.recorder.message(call.record, attempt.leg.id, "sent", next);
    tx.replace(retry as Attempt["tx"]);
    return true;
  }

  /** An attempt ended without a response (timeout 408, transport error 503) or with a failure. */
  failed(call: Call, attempt: Attempt, status: number, reason?: string): ForkDecision {
    if (attempt.final !== undefined) return { kind: "none" };
    attempt.final = status;
    attempt.leg.end();
    const pending = call.attempts.some((x) => x.final === undefined);
    if (pending || call.b) return { kind: "attempt-failed", attempt };
    const best = bestFailure(call.attempts.map((x) => x.final ?? 500));
    return { kind: "all-failed", attempt, status: best, reason: status === best ? reason : undefined };
  }
}

/** RFC 3261 §16.7 step 6, for a B2BUA: a 6xx wins, then 486 (the callee is busy), else the lowest. */
export function bestFailure(statuses: number[]): number {
  return statuses.find((s) => s >= 600) ?? statuses.find((s) => s === 486) ?? Math.min(...statuses);
}
