/**
 * The callee side of a new call: the caller's INVITE forked to every registered contact in
 * parallel (first 2xx wins, the others are CANCELled; a 2xx that loses a race is ACKed and BYEd),
 * provisional and final responses relayed to the caller, and the best failure chosen when every
 * fork fails (RFC 3261 §16.7 step 6 rules, applied by a B2BUA).
 */
import { generateCallId, generateTag, getFrom, getTo, type SipResponse } from "@hookline/sip-core";
import type { Binding, B2buaOptions } from "./b2bua.js";
import type { Attempt, Call } from "./call.js";
import type { CallSignals } from "./call-signals.js";
import { Leg } from "./leg.js";
import { MediaRefusedError, type MediaPort } from "./media-port.js";
import { contentTypeOf, isSdp, nameAddr, passThroughHeaders, text, utf8 } from "./sip-helpers.js";

export interface ForkerDeps extends Pick<
  B2buaOptions,
  "layer" | "recorder" | "send" | "transportFor" | "localAddress"
> {
  media: MediaPort;
  signals: CallSignals;
  index(call: Call, leg: Leg): void;
  failCall(call: Call, status: number, reason?: string): void;
  end(call: Call, leg: Leg, reason: string): void;
}

export class Forker {
  readonly #o: ForkerDeps;

  constructor(deps: ForkerDeps) {
    this.#o = deps;
  }

  async fork(call: Call, binding: Binding): Promise<void> {
    const a = call.aInvite;
    const from = getFrom(a)!;
    const to = getTo(a);
    const sipCallId = generateCallId();
    const localTag = generateTag();
    const legId = this.#o.recorder.createLeg(call.record, {
      direction: "outbound",
      sipCallId,
      localTag,
      remoteUri: binding.contact,
      transport: binding.flow.transport,
      source: `${binding.flow.remoteAddress}:${binding.flow.remotePort}`,
    });
    const leg = new Leg(legId, binding.flow, this.#o.localAddress(binding.flow), sipCallId, localTag);
    let body = a.body;
    if (isSdp(a)) {
      try {
        body = utf8(await this.#o.media.offer(call.record.id, call.a, leg, text(a.body)));
      } catch (err) {
        // The call ended while the media plane worked (a quick CANCEL): nothing left to do.
        if (call.ended) return;
        // This contact cannot be served; if none can, the caller gets 488 with the reason (a
        // refusal) or 500 (the media plane failed, e.g. no free port).
        if (err instanceof MediaRefusedError) call.mediaRefusal = err.message;
        else console.error(`[b2bua] call ${call.record.id}: media for ${binding.contact} failed:`, err);
        this.#o.media.closeLeg(call.record.id, leg);
        this.#o.recorder.updateLeg(legId, { state: "terminated" });
        return;
      }
    }
    if (call.ended) return;
    const invite = leg.initialInvite(
      nameAddr(from.displayName, from.uri),
      nameAddr(to?.displayName, to!.uri),
      binding.contact,
      {
        headers: [
          ...passThroughHeaders(a),
          ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, NOTIFY, UPDATE"],
        ],
        body,
        ...contentTypeOf(a),
      },
    );
    const tx = this.#o.layer.createClientTransaction(invite, this.#o.transportFor(binding.flow));
    if (tx.request.method !== "INVITE") return;
    const attempt: Attempt = {
      leg,
      invite,
      tx: tx as Attempt["tx"],
      provisional: false,
      final: undefined,
      cancelled: false,
    };
    call.attempts.push(attempt);
    this.#o.index(call, leg);
    tx.on("response.received", (res: SipResponse) => this.#onAttemptResponse(call, attempt, res));
    tx.on("transaction.timeout", () => this.onAttemptFailed(call, attempt, 408));
    tx.on("transport.error", () => this.onAttemptFailed(call, attempt, 503));
    this.#o.recorder.message(call.record, leg.id, "sent", invite);
    tx.start();
  }

  #onAttemptResponse(call: Call, attempt: Attempt, res: SipResponse): void {
    this.#o.recorder.message(call.record, attempt.leg.id, "received", res);
    // Responses with SDP wait for the media plane; the chain keeps them in arrival order.
    call.chain = call.chain
      .then(() => this.#handleAttemptResponse(call, attempt, res))
      .catch((err: unknown) => console.error(`[b2bua] call ${call.record.id}:`, err));
  }

  /** The SDP to relay for a response that carries one, through the media plane (once per SDP). */
  async #relayedAnswer(call: Call, attempt: Attempt, res: SipResponse): Promise<Uint8Array | undefined> {
    if (!isSdp(res) || res.status < 180 || res.status >= 300) return undefined;
    const sdp = text(res.body);
    if (attempt.answer?.from !== sdp) {
      attempt.answer = {
        from: sdp,
        to: utf8(await this.#o.media.answer(call.record.id, attempt.leg, call.a, sdp)),
      };
    }
    return attempt.answer.to;
  }

  async #handleAttemptResponse(call: Call, attempt: Attempt, res: SipResponse): Promise<void> {
    const leg = attempt.leg;
    const status = res.status;
    const body =
      call.ended || (call.b && call.b !== leg) ? undefined : await this.#relayedAnswer(call, attempt, res);
    if (status < 200) {
      // RFC 3261 §9.1: any provisional, 100 included, lets a CANCEL go; one that was wanted
      // before (the caller cancelled, another fork won) goes now.
      attempt.provisional = true;
      if (attempt.cancelled) this.#o.signals.sendCancel(call, attempt);
      if (status === 100 || call.b || call.ended) return;
      leg.establishAsUac(attempt.invite, res);
      if (leg.state === "trying" && leg.dialog) {
        leg.state = "early";
        this.#o.recorder.updateLeg(leg.id, {
          state: "early",
          ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
        });
      }
      this.#o.signals.respondA(call, status, res.reason, res, [], body);
      if (status === 180 || status === 183) this.#o.recorder.setState(call.record, "ringing");
      return;
    }
    if (status < 300) return this.#onAttemptAnswered(call, attempt, res, body);
    attempt.final = status;
    this.#o.media.closeLeg(call.record.id, leg);
    leg.state = "terminated";
    this.#o.recorder.updateLeg(leg.id, { state: "terminated" });
    this.#maybeFail(call, res);
  }

  #onAttemptAnswered(call: Call, attempt: Attempt, res: SipResponse, body: Uint8Array | undefined): void {
    const leg = attempt.leg;
    if (call.b === leg) {
      // A retransmitted 2xx: the ACK got lost (RFC 3261 §13.2.2.4), send it again.
      if (call.bAcked) this.#o.signals.ackB(call, undefined);
      return;
    }
    attempt.final = res.status;
    if (call.b || call.ended) {
      // Another fork already won, or the call is gone: confirm and end this dialog at once.
      leg.establishAsUac(attempt.invite, res);
      const ack = leg.request("ACK");
      if (ack) void this.#o.send(ack, leg.flow).catch(() => {});
      this.#o.signals.sendInDialog(call, leg, "BYE");
      this.#o.media.closeLeg(call.record.id, leg);
      return;
    }
    call.b = leg;
    call.bAnswer = res;
    leg.establishAsUac(attempt.invite, res);
    leg.state = "confirmed";
    this.#o.recorder.updateLeg(leg.id, {
      state: "confirmed",
      ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
    });
    this.#o.signals.cancelPending(call, attempt);
    call.clearTimers();
    call.a.state = "confirmed";
    this.#o.recorder.updateLeg(call.a.id, { state: "confirmed" });
    this.#o.signals.respondA(call, res.status, res.reason, res, [], body);
    this.#o.recorder.setState(call.record, "answered");
    this.#o.signals.retransmit2xxToA(call, () => this.#o.end(call, call.a, "no-ack"));
  }

  onAttemptFailed(call: Call, attempt: Attempt, status: number): void {
    if (attempt.final !== undefined) return;
    attempt.final = status;
    attempt.leg.state = "terminated";
    this.#o.recorder.updateLeg(attempt.leg.id, { state: "terminated" });
    if (call.b !== attempt.leg) this.#o.media.closeLeg(call.record.id, attempt.leg);
    if (call.b === attempt.leg && !call.ended) return this.#o.end(call, attempt.leg, "transport-error");
    this.#maybeFail(call, undefined);
  }

  /** When every fork has failed, the best final response goes to the caller (§16.7 step 6). */
  #maybeFail(call: Call, last: SipResponse | undefined): void {
    if (call.b || call.ended || call.attempts.some((x) => x.final === undefined)) return;
    const statuses = call.attempts.map((x) => x.final ?? 500);
    const best = statuses.find((s) => s >= 600) ?? statuses.find((s) => s === 486) ?? Math.min(...statuses);
    const reason = last && last.status === best ? last.reason : undefined;
    this.#o.failCall(call, best, reason);
  }
}
