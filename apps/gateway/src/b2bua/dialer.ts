/**
 * A `dial` (SPEC §5) carried out: each group of contacts rung at once (a sequential dial is a
 * group per target), CANCELled after the timeout, the first 2xx bridged to the caller, and the
 * dial's outcome settled when it failed or, once answered, when the call ended. The SDP offer
 * travels the way the call's {@link Call.offerIn} says (RFC 3264; RFC 3725 flow I for API calls).
 */
import { getFrom, getTo, type SipResponse } from "@hookline/sip-core";
import type { Attempt, Call } from "./call.js";
import type { CallRecorder } from "./call-recorder.js";
import type { CallSignals } from "./call-signals.js";
import { bestFailure, type ForkDecision, type Forker } from "./forking.js";
import type { Leg } from "./leg.js";
import { MediaRefusedError, type MediaPort } from "./media-port.js";
import type { DialContact, DialOutcome, DialRequest, DialStatus } from "./ports.js";
import { mediaRefusal, type MediaRefusal } from "./sdp-codecs.js";
import { contentTypeOf, isSdp, passThroughHeaders, text, utf8 } from "./sip-helpers.js";

export interface DialerDeps {
  forker: Forker;
  signals: CallSignals;
  media: MediaPort;
  recorder: CallRecorder;
  /** A new leg's dialog, for in-dialog requests and ACKs to find it. */
  index(call: Call, leg: Leg): void;
  /** The one place a call ends (the B2BUA's). */
  /** Ends an answered call: BYE to each confirmed leg but `by` (the one that ended it, if any). */
  endAnswered(call: Call, by: Leg | undefined, reason: string): void;
}

export class Dialer {
  readonly #o: DialerDeps;

  constructor(deps: DialerDeps) {
    this.#o = deps;
  }

  /**
   * `firstParty`: an API call's first party (no caller yet): it settles at the answer, and its 2xx
   * (the SDP offer) waits for the next dial's answer before it is ACKed.
   */
  dial(call: Call, request: DialRequest, firstParty = false): Promise<DialOutcome> {
    return new Promise<DialOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: DialOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      // The caller went away (CANCEL, BYE of an API call's first party, shutdown) before an answer.
      void call.done.then(() => {
        if (!call.b) settle(outcome("canceled", 487, "Request Terminated"));
      });
      const groups = request.groups.filter((g) => g.length > 0);
      let failures: number[] = [];
      const next = async (index: number, timedOut: boolean): Promise<void> => {
        const group = groups[index];
        if (!group || call.ended) {
          const best = failures.length > 0 ? bestFailure(failures) : call.mediaRefusal ? 488 : 480;
          settle(outcome(timedOut ? "no-answer" : statusOf(best), best, null));
          return;
        }
        call.moveTo("dialing");
        call.attempts = [];
        let groupTimedOut = false;
        const timer = call.after(request.timeoutMs, () => {
          groupTimedOut = true;
          this.#o.signals.cancelPending(call);
        });
        const done = (decision: ForkDecision) => {
          if (decision.kind === "all-failed") {
            call.cancelTimer(timer);
            failures = [...failures, ...call.attempts.map((x) => x.final ?? 500)];
            void next(index + 1, groupTimedOut);
          }
          if (decision.kind === "answered") {
            call.cancelTimer(timer);
            request.onAnswered?.(decision.attempt.target);
            const answered = () =>
              settle({
                status: "answered",
                sipStatus: decision.res.status,
                reason: decision.res.reason,
                answeredBy: decision.attempt.target,
                durationSec: Math.round((Date.now() - (call.answeredAt ?? Date.now())) / 1000),
              });
            if (firstParty) answered();
            else void call.done.then(answered);
          }
        };
        const started = await Promise.all(group.map((c) => this.#start(call, c, request, done)));
        if (!started.some(Boolean) && !call.ended) {
          call.cancelTimer(timer);
          failures = [...failures, call.mediaRefusal ? 488 : 500];
          return next(index + 1, false);
        }
      };
      void next(0, false);
    });
  }

  /** One contact: its leg, the SDP it is offered, its INVITE and the wiring of its responses. */
  async #start(
    call: Call,
    contact: DialContact,
    request: DialRequest,
    done: (d: ForkDecision) => void,
  ): Promise<boolean> {
    const leg = this.#o.forker.newLeg(call, contact);
    const offer = call.inbound?.invite ?? call.aOffer;
    let body: Uint8Array = new Uint8Array();
    if (offer && isSdp(offer) && call.a) {
      try {
        body = utf8(await this.#o.media.offer(call.record.id, call.a, leg, text(offer.body)));
      } catch (err) {
        // This contact cannot be served; if none can, the dial fails with 488 (a refusal, with
        // the reason) or 500 (the media plane failed, e.g. no free port).
        if (err instanceof MediaRefusedError) call.mediaRefusal = mediaRefusal(err, "caller");
        else if (!call.ended)
          call.log.error({ err, contact: contact.contact }, "media for the callee failed");
        this.#o.media.closeLeg(call.record.id, leg);
        this.#o.recorder.updateLeg(leg.id, { state: "terminated" });
        return false;
      }
    }
    if (call.ended) {
      this.#o.media.closeLeg(call.record.id, leg);
      return false;
    }
    const from = request.callerId ? { uri: request.callerId } : fromOf(call);
    const attempt = this.#o.forker.invite(call, leg, contact, {
      from,
      to: toOf(call, contact),
      body,
      contentType: body.length > 0 ? "application/sdp" : undefined,
      headers: [...(call.inbound ? passThroughHeaders(call.inbound.invite) : []), ...(request.headers ?? [])],
    });
    if (!attempt) return false;
    this.#o.index(call, leg);
    const decide = async (decision: ForkDecision) => {
      const d =
        decision.kind === "answered" ? await this.#vet(call, decision.attempt, decision.res) : decision;
      this.#apply(call, d);
      done(d);
    };
    const onResponse = (res: SipResponse) => {
      this.#o.recorder.message(call.record, leg.id, "received", res);
      // Responses with SDP wait for the media plane; the chain keeps them in arrival order.
      call.chain = call.chain
        .then(() => decide(this.#o.forker.decide(call, attempt, res)))
        .catch((err: unknown) => call.log.error({ err }, "response not handled"));
    };
    const onTimeout = () => void decide(this.failed(call, attempt, 408));
    const onError = () => void decide(this.failed(call, attempt, 503));
    attempt.tx.on("response.received", onResponse);
    attempt.tx.on("transaction.timeout", onTimeout);
    attempt.tx.on("transport.error", onError);
    attempt.fail = (status) => void decide(this.failed(call, attempt, status));
    attempt.retire = () => {
      attempt.tx.off("response.received", onResponse);
      attempt.tx.off("transaction.timeout", onTimeout);
      attempt.tx.off("transport.error", onError);
      attempt.fail = undefined;
    };
    attempt.tx.start();
    return true;
  }

  /** An attempt ended without a response; a bridged leg's failure ends the call. */
  failed(call: Call, attempt: Attempt, status: number): ForkDecision {
    if (call.b === attempt.leg && !call.ended) {
      this.#o.endAnswered(call, attempt.leg, "transport-error");
      return { kind: "none" };
    }
    return this.#o.forker.failed(call, attempt, status);
  }

  /**
   * A callee's 2xx whose SDP the media plane refuses (an answer naming no codec the offer had, an
   * offer with none the gateway relays) bridges nothing: its dialog is confirmed and ended at once
   * (ACK, with an answer declining every stream when the 2xx offered, then BYE: RFC 3261
   * §13.2.2.4) and the attempt counts as a 488, so that the dial fails with 488 and the Warning
   * unless another contact answers. The SDP for the caller is kept on the attempt for #answered.
   */
  async #vet(call: Call, attempt: Attempt, res: SipResponse): Promise<ForkDecision> {
    if (!call.inbound || !call.a) return { kind: "answered", attempt, res };
    let refusal: MediaRefusal | undefined;
    try {
      await this.#sdpForCaller(call, attempt, res);
    } catch (err) {
      if (!(err instanceof MediaRefusedError)) call.log.error({ err }, "media for the answer failed");
      refusal = err instanceof MediaRefusedError ? mediaRefusal(err, offererOf(call)) : undefined;
      this.#o.signals.ackDeclining(call, attempt.leg, call.offerIn === "2xx" ? res : undefined);
      this.#o.signals.sendInDialog(call, attempt.leg, "BYE");
      if (refusal) call.mediaRefusal = refusal;
      attempt.final = undefined;
      return this.#o.forker.failed(
        call,
        attempt,
        refusal ? 488 : 500,
        refusal ? "Not Acceptable Here" : undefined,
      );
    }
    // The call ended or another fork won while the media plane worked: this 2xx comes too late.
    if (call.ended || call.b || call.phase !== "dialing") return { kind: "late-2xx", attempt, res };
    return { kind: "answered", attempt, res };
  }

  #apply(call: Call, d: ForkDecision): void {
    switch (d.kind) {
      case "none":
        return;
      case "send-cancel":
        return this.#o.signals.sendCancel(call, d.attempt);
      case "early":
        return void this.#early(call, d.attempt, d.res);
      case "answered":
        return void this.#answered(call, d.attempt, d.res);
      case "retransmitted-2xx":
        return this.#o.signals.reack(d.attempt.leg);
      case "late-2xx":
        // Another fork already won, or the call is gone: confirm and end this dialog at once.
        this.#o.signals.ack(call, d.attempt.leg);
        this.#o.signals.sendInDialog(call, d.attempt.leg, "BYE");
        this.#closeLeg(call, d.attempt.leg);
        return;
      case "attempt-failed":
      case "all-failed":
        this.#closeLeg(call, d.attempt.leg);
        return;
    }
  }

  #closeLeg(call: Call, leg: Leg): void {
    leg.end();
    this.#o.media.closeLeg(call.record.id, leg);
    this.#o.recorder.updateLeg(leg.id, { state: "terminated" });
  }

  async #early(call: Call, attempt: Attempt, res: SipResponse): Promise<void> {
    this.#o.signals.sendCancel(call, attempt);
    const leg = attempt.leg;
    if (leg.state === "trying" && leg.dialog) {
      leg.state = "early";
      this.#o.recorder.updateLeg(leg.id, {
        state: "early",
        ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
      });
    }
    if (!call.inbound) return;
    // Early media only where the INVITE offered (without 100rel a 18x carries no offer of its own);
    // an early answer the media plane refuses is relayed without it (the 2xx decides the call).
    const body =
      call.offerIn === "invite"
        ? await this.#sdpForCaller(call, attempt, res).catch((err: unknown) => {
            call.log.warn({ err: (err as Error).message }, "early answer not usable; relayed without SDP");
            return undefined;
          })
        : undefined;
    if (call.ended || call.b) return;
    this.#o.signals.respondA(call, res.status, res.reason, res, [], body);
    if (res.status === 180 || res.status === 183) this.#o.recorder.setState(call.record, "ringing");
  }

  async #answered(call: Call, attempt: Attempt, res: SipResponse): Promise<void> {
    const leg = attempt.leg;
    if (!call.a) return this.#firstPartyAnswered(call, attempt, res);
    call.b = leg;
    call.bAnswer = res;
    this.#o.signals.cancelPending(call, attempt);
    call.moveTo("answered");
    call.answeredAt = Date.now();
    leg.state = "confirmed";
    this.#o.recorder.updateLeg(leg.id, {
      state: "confirmed",
      ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
    });
    const a = call.a;
    a.state = "confirmed";
    this.#o.recorder.updateLeg(a.id, { state: "confirmed" });
    this.#o.recorder.setState(call.record, "answered");
    if (!call.inbound) {
      // An API call: the callee answered the first party's offer. ACK both; the first party's ACK
      // carries the answer its 2xx has waited for (RFC 3725 §4.1 flow I).
      call.bAcked = true;
      this.#o.signals.ack(call, leg);
      const sdp = isSdp(res) ? await this.#mediaAnswer(call, leg, a, res) : undefined;
      // The call may have ended meanwhile; #finish then ACKed the first party before its BYE.
      if (call.aAcked) return;
      call.aAcked = true;
      if (isSdp(res) && !sdp) {
        // The media plane could not answer: the first party's offer is declined, both get BYE.
        this.#o.signals.ackDeclining(call, a, call.aOffer);
        return this.#o.endAnswered(call, undefined, "media-failed");
      }
      this.#o.signals.ack(call, a, sdp);
      return;
    }
    const body = await this.#sdpForCaller(call, attempt, res);
    if (call.ended) return;
    const ok = this.#o.signals.respondA(call, res.status, res.reason, res, [], body);
    this.#o.signals.retransmit2xxToA(call, ok, () => this.#o.endAnswered(call, a, "no-ack"));
  }

  /** An API call's first party answered: its 2xx offers; the ACK waits for the callee's answer. */
  #firstPartyAnswered(call: Call, attempt: Attempt, res: SipResponse): void {
    const leg = attempt.leg;
    this.#o.signals.cancelPending(call, attempt);
    call.a = leg;
    call.aOffer = res;
    call.answeredAt = Date.now();
    call.moveTo("asking");
    leg.state = "confirmed";
    this.#o.recorder.updateLeg(leg.id, {
      state: "confirmed",
      ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
    });
    this.#o.recorder.setState(call.record, "answered");
  }

  /** The caller ACKed our 2xx: the callee's 2xx is ACKed now, with the answer when it offered. */
  async ackFromCaller(call: Call, ackBody: Uint8Array, contentType: string | undefined): Promise<void> {
    const b = call.b;
    if (!b || call.bAcked) return;
    call.bAcked = true;
    if (call.offerIn === "2xx" && ackBody.length > 0) {
      const sdp = await this.#o.media.answer(call.record.id, call.a!, b, text(ackBody));
      return this.#o.signals.ack(call, b, { body: utf8(sdp), contentType: "application/sdp" });
    }
    this.#o.signals.ack(call, b, ackBody.length > 0 ? { body: ackBody, contentType } : undefined);
  }

  /**
   * The SDP a callee's response becomes for the caller (computed once per distinct SDP): the
   * answer to the caller's offer, or, when the INVITE came without SDP, the 2xx's offer.
   */
  async #sdpForCaller(call: Call, attempt: Attempt, res: SipResponse) {
    if (!isSdp(res)) return undefined;
    const sdp = text(res.body);
    if (attempt.answer?.from !== sdp) {
      const id = call.record.id;
      const relayed =
        call.offerIn === "invite"
          ? await this.#o.media.answer(id, attempt.leg, call.a!, sdp)
          : await this.#o.media.offer(id, attempt.leg, call.a!, sdp);
      attempt.answer = { from: sdp, to: utf8(relayed) };
    }
    return { body: attempt.answer.to, ...contentTypeOf(res) };
  }

  async #mediaAnswer(call: Call, from: Leg, to: Leg, res: SipResponse) {
    try {
      return {
        body: utf8(await this.#o.media.answer(call.record.id, from, to, text(res.body))),
        contentType: "application/sdp",
      };
    } catch (err) {
      call.log.error({ err }, "answer not usable");
      return undefined;
    }
  }
}

/** The side whose SDP offered: the caller's INVITE, or (an INVITE without SDP) the callee's 2xx. */
function offererOf(call: Call): "caller" | "callee" {
  return call.offerIn === "invite" ? "caller" : "callee";
}

function outcome(status: DialStatus, sipStatus: number | null, reason: string | null): DialOutcome {
  return { status, sipStatus, reason, answeredBy: null, durationSec: null };
}

/** SPEC §5's dial statuses from the final SIP status of a failed dial. */
function statusOf(sip: number): DialStatus {
  if (sip === 486 || sip === 600 || sip === 603) return "busy";
  if (sip === 408 || sip === 480 || sip === 487) return "no-answer";
  return "failed";
}

function fromOf(call: Call): { displayName?: string | undefined; uri: string } {
  const from = call.inbound && getFrom(call.inbound.invite);
  return from ? { displayName: from.displayName, uri: from.uri } : { uri: call.record.from };
}

function toOf(call: Call, contact: DialContact): { displayName?: string | undefined; uri: string } {
  const to = call.inbound && getTo(call.inbound.invite);
  if (
    to &&
    call.record.to === to.uri &&
    !contact.target.startsWith("sip:") &&
    contact.target === userOf(to.uri)
  )
    return { displayName: to.displayName, uri: to.uri };
  return {
    uri: contact.target.startsWith("sip:") ? contact.target : `sip:${contact.target}@${call.domain.name}`,
  };
}

function userOf(uri: string): string | undefined {
  return /^sips?:([^@;]+)@/i.exec(uri)?.[1];
}
