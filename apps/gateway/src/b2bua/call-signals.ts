/**
 * The messages the B2BUA itself originates on a call's legs: responses to the caller, requests
 * inside a leg's dialog, CANCEL of a forked attempt, ACKs of 2xx responses, and the 2xx
 * retransmissions toward a caller over UDP. Each one is recorded on the call's trace.
 */
import {
  createCancel,
  createResponse,
  type HeaderInput,
  type SipRequest,
  type SipResponse,
  type TransactionLayer,
  type Transport,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import type { Attempt, Call } from "./call.js";
import type { CallRecord, CallRecorder } from "./call-recorder.js";
import type { Leg } from "./leg.js";
import { declineAll } from "./sdp-codecs.js";
import { isSdp, passThroughHeaders, text, utf8 } from "./sip-helpers.js";

export interface CallSignalsDeps {
  layer: TransactionLayer;
  recorder: CallRecorder;
  send(message: SipRequest | SipResponse, flow: Flow): Promise<void>;
  transportFor(flow: Flow): Transport;
  t1Ms: number;
}

export interface Body {
  body: Uint8Array;
  contentType?: string | undefined;
}

export class CallSignals {
  readonly #o: CallSignalsDeps;

  constructor(deps: CallSignalsDeps) {
    this.#o = deps;
  }

  /** The ACK of a 2xx on `leg` (RFC 3261 §13.2.2.4), with the SDP answer when the 2xx offered. */
  ack(call: Call, leg: Leg, body?: Body): void {
    const ack = leg.request("ACK", body && { body: body.body, contentType: body.contentType });
    if (!ack) return;
    leg.lastAck = ack;
    this.#o.recorder.message(call.record, leg.id, "sent", ack);
    void this.#o.send(ack, leg.flow).catch(() => {});
  }

  /**
   * The ACK of a 2xx the call will not keep (BYE follows): when `offer` (the 2xx) carried SDP, the
   * ACK must answer it (RFC 3261 §13.2.2.4) and declines every stream (RFC 3264 §6).
   */
  ackDeclining(call: Call, leg: Leg, offer: SipResponse | undefined): void {
    const declined = offer && isSdp(offer) ? declineAll(text(offer.body)) : undefined;
    this.ack(call, leg, declined ? { body: utf8(declined), contentType: "application/sdp" } : undefined);
  }

  /** The 2xx came again: its ACK was lost (RFC 3261 §13.2.2.4). */
  reack(leg: Leg): void {
    if (leg.lastAck) void this.#o.send(leg.lastAck, leg.flow).catch(() => {});
  }

  sendInDialog(call: Call, leg: Leg, method: string): void {
    const req = leg.request(method);
    if (!req) return;
    this.#o.recorder.message(call.record, leg.id, "sent", req);
    try {
      const tx = this.#o.layer.createClientTransaction(req, this.#o.transportFor(leg.flow));
      tx.on("response.received", recordOn(this.#o.recorder, call.record, leg.id));
      tx.start();
    } catch (err) {
      call.log.error({ method, err: (err as Error).message }, "in-dialog request not sent");
    }
  }

  /** Every fork still without a final response (but `except`) is CANCELled, now or at its first provisional. */
  cancelPending(call: Call, except?: Attempt): void {
    for (const attempt of call.attempts) {
      if (attempt === except || attempt.final !== undefined) continue;
      attempt.cancelled = true;
      this.sendCancel(call, attempt);
    }
  }

  sendCancel(call: Call, attempt: Attempt): void {
    // RFC 3261 §9.1: a CANCEL waits until a provisional response arrived; one per branch.
    if (!attempt.cancelled || !attempt.provisional || attempt.cancelSent || attempt.final !== undefined)
      return;
    if (attempt.tx.state === "terminated") return;
    attempt.cancelSent = true;
    const cancel = createCancel(attempt.invite);
    this.#o.recorder.message(call.record, attempt.leg.id, "sent", cancel);
    try {
      const tx = this.#o.layer.createClientTransaction(cancel, this.#o.transportFor(attempt.leg.flow));
      tx.on("response.received", recordOn(this.#o.recorder, call.record, attempt.leg.id));
      tx.start();
    } catch {
      // Only a duplicate branch is refused here, which cancelSent already rules out.
    }
  }

  /**
   * A response to the caller's INVITE, returned as sent; nothing for a call the API started (it
   * has no caller).
   */
  respondA(
    call: Call,
    status: number,
    reason?: string,
    from?: SipResponse,
    headers: HeaderInput[] = [],
    body?: Body,
  ): SipResponse | undefined {
    const inbound = call.inbound;
    const a = call.a;
    if (!inbound || !a) return undefined;
    const res = createResponse(inbound.invite, status, reason, {
      toTag: a.localTag,
      headers: [
        ...(status > 100 && status < 300 ? ([["Contact", a.contact]] as HeaderInput[]) : []),
        ...(from ? passThroughHeaders(from) : []),
        ...headers,
      ],
      ...(body && body.body.length > 0 && { body: body.body, contentType: body.contentType }),
    });
    this.#o.recorder.message(call.record, a.id, "sent", res);
    if (status > 100 && status < 300) a.establishAsUas(inbound.invite, res);
    if (status >= 200 && status < 300) a.dialog?.confirm();
    try {
      inbound.tx.respond(res);
    } catch (err) {
      call.log.error({ status, err: (err as Error).message }, "response to the caller not sent");
    }
    return res;
  }

  /**
   * Over UDP the UAS core retransmits its 2xx until the ACK arrives, doubling up to T2, and gives
   * up after 64*T1 (RFC 3261 §13.3.1.4): then the call ends with a BYE. `last` is the 2xx sent (the
   * transaction keeps none once Accepted, RFC 6026).
   */
  retransmit2xxToA(call: Call, last: SipResponse | undefined, onNoAck: () => void): void {
    const inbound = call.inbound;
    if (!inbound || call.a?.flow.transport !== "udp") return;
    let left = 64 * this.#o.t1Ms;
    let interval = this.#o.t1Ms;
    const tick = () => {
      if (call.aAcked || call.ended || !last) return;
      left -= interval;
      if (left <= 0) return onNoAck();
      try {
        inbound.tx.respond(last);
      } catch {
        return;
      }
      interval = Math.min(interval * 2, this.#o.layer.config.t2);
      call.after(interval, tick);
    };
    call.after(interval, tick);
  }
}

/**
 * Records the responses a transaction receives on a leg. The listener holds the record and the
 * leg's id, not the call: a BYE's or CANCEL's transaction outlives the call (Timer K, RFC 3261
 * §17.1.2.2), and a listener holding the call would keep all of it (dialog-index.ts).
 */
function recordOn(recorder: CallRecorder, record: CallRecord, legId: string) {
  return (res: SipResponse) => recorder.message(record, legId, "received", res);
}
