/**
 * The B2BUA (RFC 3261 §12–§16, RFC 3264): calls of a tenant's users. The caller's INVITE is
 * authenticated (407), held with 100 Trying while a {@link CallRouter} decides where it goes (the
 * application hook, SPEC §5, or the default route), and each `dial` forks to the contacts it names.
 * Provisional and final responses are relayed, in-dialog requests (BYE, INFO, re-INVITE, UPDATE,
 * MESSAGE, NOTIFY) cross from one leg to the other, and every call, also one that never rang,
 * ends in {@link B2bua.#finish}, which records its outcome. Each leg has its own Call-ID and tags;
 * calls never cross tenants.
 */
import {
  createResponse,
  generateTag,
  getCallId,
  getFrom,
  getHeader,
  getTo,
  type HeaderInput,
  type InviteServerTransaction,
  type ServerTransaction,
  type SipRequest,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import { Call } from "./call.js";
import { callControl, type CallControlDeps } from "./call-control.js";
import { CallSignals } from "./call-signals.js";
import { defaultRouter } from "./default-route.js";
import { answerLate, answerLateCancel, DialogIndex, isEnded, type EndedLeg } from "./dialog-index.js";
import { Dialer } from "./dialer.js";
import { Forker } from "./forking.js";
import { inDialogRequest, type RelayDeps } from "./in-dialog-relay.js";
import { Leg } from "./leg.js";
import { passThroughMedia, type MediaPort } from "./media-port.js";
import type {
  B2buaOptions,
  CallRouter,
  Ending,
  IncomingCall,
  OriginateInput,
  TenantDomain,
} from "./ports.js";
import { contentTypeOf, isSdp, parseSip, text, xHeaders } from "./sip-helpers.js";
import { mediaRefusal, offeredCodecs, warningValue } from "./sdp-codecs.js";

export type {
  B2buaOptions,
  Binding,
  CallDirectory,
  AuthResult,
  OriginateInput,
  TenantDomain,
} from "./ports.js";

export class B2bua {
  readonly #o: B2buaOptions;
  readonly #media: MediaPort;
  readonly #signals: CallSignals;
  readonly #dialer: Dialer;
  readonly #router: CallRouter;
  readonly #controlDeps: CallControlDeps;
  readonly #relayDeps: RelayDeps;
  readonly #dialogs: DialogIndex;
  /** A caller's INVITE transaction → its call, or what is kept of its leg once the call ended. */
  readonly #byInviteTx = new Map<InviteServerTransaction, Call | EndedLeg>();
  readonly #calls = new Set<Call>();
  #draining = false;

  constructor(options: B2buaOptions) {
    this.#o = options;
    this.#media = options.media ?? passThroughMedia;
    this.#signals = new CallSignals(options);
    this.#router = options.router ?? defaultRouter(options.directory, options.ringTimeoutMs);
    this.#dialogs = new DialogIndex({ ...options, keepMs: 64 * options.t1Ms });
    this.#dialer = new Dialer({
      forker: new Forker(options),
      signals: this.#signals,
      media: this.#media,
      recorder: options.recorder,
      index: (call, leg) => this.#dialogs.add(call, leg),
      endAnswered: (call, by, reason) => this.#finish(call, { endReason: reason, by }),
    });
    this.#controlDeps = {
      dial: (call, request, firstParty) => this.#dialer.dial(call, request, firstParty),
      finish: (call, ending) => this.#finish(call, ending),
      recorder: options.recorder,
    };
    this.#relayDeps = {
      layer: options.layer,
      recorder: options.recorder,
      media: this.#media,
      transportFor: (flow) => options.transportFor(flow),
      finish: (call, ending) => this.#finish(call, ending),
    };
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Callers' INVITE transactions still remembered for CANCEL matching; zero once all have ended. */
  get pendingInvites(): number {
    return this.#byInviteTx.size;
  }

  /** The dialogs of live calls and what is kept of ended calls' legs (dialog-index.ts). */
  get dialogs(): Pick<DialogIndex, "size" | "ended"> {
    return this.#dialogs;
  }

  // ─── new calls ────────────────────────────────────────────────────────────

  async onInvite(req: SipRequest, flow: Flow, tx: InviteServerTransaction): Promise<void> {
    const respond = (status: number, reason?: string, headers?: HeaderInput[]) =>
      tx.respond(createResponse(req, status, reason, { toTag: generateTag(), ...(headers && { headers }) }));
    if (this.#draining) return respond(503, "Service Unavailable", [["Retry-After", "30"]]);
    // A carrier's or PBX's INVITE (SPEC §3 trunks) finds its tenant by source and number instead.
    const trunk = this.#o.trunks?.classify(req, flow) ?? { kind: "not-trunk" };
    if (trunk.kind === "respond") return respond(trunk.status, trunk.reason, trunk.headers);
    const fromUri = parseSip(getFrom(req)?.uri);
    const domain =
      trunk.kind === "call" ? trunk.domain : fromUri && this.#o.directory.findDomain(fromUri.host);
    // No tenant to record it for: an unknown domain is answered and forgotten.
    if (!fromUri || !domain) return respond(404, "Not Found");
    const auth =
      trunk.kind === "call"
        ? { ok: true as const, username: trunk.trunk }
        : await this.#o.directory.authenticate(req, flow, domain);
    // A challenge (401/407) is the first half of every call, not a call; a refusal is recorded.
    if (!auth.ok && auth.response.status !== 403) {
      this.#o.recorder.challenged(req, auth.response);
      return tx.respond(auth.response);
    }
    const call = this.#newCall(req, flow, tx, domain);
    try {
      await this.#o.onNewCall?.({ id: call.record.id, accountId: call.record.accountId }, req);
    } catch (err) {
      call.log.error({ err }, "onNewCall failed");
      return this.#finish(call, {
        status: 500,
        reason: "Server Internal Error",
        endReason: "internal-error",
      });
    }
    this.#o.recorder.initiated(call.record);
    this.#o.recorder.message(call.record, call.a!.id, "received", req);
    if (!auth.ok) {
      return this.#finish(call, { status: 403, reason: auth.response.reason, endReason: "forbidden" });
    }
    // An offer no callee could be bridged to (no codec the media plane relays; it does not
    // transcode) is refused at once, as a proxy checking SDP before relaying would: nobody rings.
    const refused = isSdp(req) ? this.#media.refuseOffer?.(text(req.body)) : undefined;
    if (refused) {
      call.mediaRefusal = mediaRefusal(refused, "caller");
      return this.#finish(call, { status: 488, reason: "Not Acceptable Here", endReason: "media-refused" });
    }
    this.#signals.respondA(call, 100, "Trying");
    const target = parseSip(req.uri);
    const source = { transport: flow.transport, address: `${flow.remoteAddress}:${flow.remotePort}` };
    const incoming: IncomingCall = {
      from: getFrom(req)!.uri,
      to: trunk.kind === "call" ? trunk.number : getTo(req)!.uri,
      requestUri: req.uri,
      // Calls never cross tenants: a callee outside the caller's domain is no user of it.
      user:
        trunk.kind === "call"
          ? trunk.user
          : target?.user && target.host.toLowerCase() === domain.name
            ? target.user
            : undefined,
      source: trunk.kind === "call" ? { ...source, trunk: trunk.trunk } : source,
      headers: xHeaders(req),
      codecs: isSdp(req) ? offeredCodecs(text(req.body)) : [],
      privacy: /\b(id|header|user)\b/i.test(getHeader(req, "privacy") ?? ""),
    };
    await this.#steer(call, () => this.#router.route(callControl(call, this.#controlDeps), incoming));
  }

  /** A call the platform starts (SPEC §5 `POST /v1/calls`): the first party is rung without SDP. */
  originate(input: OriginateInput): string {
    if (this.#draining) throw new Error("the gateway is shutting down");
    const record = this.#o.recorder.createCall({
      accountId: input.domain.accountId,
      domainId: input.domain.domainId,
      sipCallId: "",
      from: input.from,
      to: input.to,
      origin: "api",
    });
    const call = new Call(record, input.domain, undefined, undefined, this.#o.timers);
    this.#calls.add(call);
    this.#o.recorder.initiated(record);
    void this.#steer(call, async () => {
      const first = input.dial
        ? await input.dial(callControl(call, this.#controlDeps, true), call.done)
        : await this.#dialer.dial(call, { groups: [input.contacts], timeoutMs: input.timeoutMs }, true);
      if (first.status !== "answered") {
        // A refusal (the fraud guard's, SPEC §5) is recorded with its own reason.
        const endReason = first.endReason ?? (first.status === "canceled" ? "cancelled" : first.status);
        return this.#finish(call, { status: first.sipStatus ?? 480, endReason });
      }
      await input.run(callControl(call, this.#controlDeps));
    });
    return record.id;
  }

  /** Runs the router (or an API call's program); whatever it leaves undecided is ended here. */
  async #steer(call: Call, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      call.log.error({ err }, "routing failed");
      return this.#finish(call, {
        status: 500,
        reason: "Server Internal Error",
        endReason: "internal-error",
      });
    }
    if (call.ended || call.b) return;
    this.#finish(call, { status: 603, reason: "Decline", endReason: "no-more-actions" });
  }

  #newCall(req: SipRequest, flow: Flow, tx: InviteServerTransaction, domain: TenantDomain): Call {
    const from = getFrom(req)!;
    const sipCallId = getCallId(req) ?? "";
    const record = this.#o.recorder.createCall({
      accountId: domain.accountId,
      domainId: domain.domainId,
      sipCallId,
      from: from.uri,
      to: getTo(req)?.uri ?? req.uri,
      origin: "inbound",
    });
    const aTag = generateTag();
    const aLegId = this.#o.recorder.createLeg(record, {
      direction: "inbound",
      sipCallId,
      localTag: aTag,
      remoteTag: from.tag ?? null,
      remoteUri: from.uri,
      transport: flow.transport,
      source: `${flow.remoteAddress}:${flow.remotePort}`,
    });
    const aLeg = new Leg(aLegId, flow, this.#o.localAddress(flow), sipCallId, aTag);
    const call = new Call(record, domain, { invite: req, tx }, aLeg, this.#o.timers);
    this.#calls.add(call);
    this.#byInviteTx.set(tx, call);
    tx.on("transaction.terminated", () => this.#byInviteTx.delete(tx));
    this.#dialogs.add(call, aLeg);
    return call;
  }

  // ─── caller's side ─────────────────────────────────────────────────────────

  /** CANCEL for a pending INVITE (RFC 3261 §9.2): 200 to the CANCEL, 487 to the INVITE. */
  onCancel(cancel: SipRequest, tx: ServerTransaction, invite: InviteServerTransaction | undefined): void {
    const call = invite && this.#byInviteTx.get(invite);
    if (call && isEnded(call)) return answerLateCancel(call, cancel, tx, this.#o.recorder);
    if (!call?.a) {
      tx.respond(createResponse(cancel, 481, "Call/Transaction Does Not Exist", { toTag: generateTag() }));
      return;
    }
    this.#o.recorder.message(call.record, call.a.id, "received", cancel);
    const ok = createResponse(cancel, 200, "OK", { toTag: call.a.localTag });
    tx.respond(ok);
    this.#o.recorder.message(call.record, call.a.id, "sent", ok);
    if (call.b || call.ended) return;
    this.#finish(call, { status: 487, reason: "Request Terminated", endReason: "cancelled" });
  }

  /** An ACK outside any transaction: for a 2xx (§13.2.2.4), routed by its dialog. */
  onAck(ack: SipRequest): void {
    const found = this.#dialogs.find(ack);
    if (!found) return;
    if (isEnded(found)) return this.#o.recorder.message(found.record, found.legId, "received", ack);
    const { call, leg } = found;
    this.#o.recorder.message(call.record, leg.id, "received", ack);
    if (leg === call.a && call.inbound && !call.aAcked) {
      call.aAcked = true;
      void this.#dialer
        .ackFromCaller(call, ack.body, getHeader(ack, "content-type"))
        .catch((err: unknown) => call.log.error({ err }, "ACK not relayed"));
      return;
    }
    const pending = call.pendingAck;
    if (pending && pending.from === leg) {
      call.pendingAck = undefined;
      const relayed = pending.to.request("ACK", { body: ack.body, ...contentTypeOf(ack) });
      if (!relayed) return;
      this.#o.recorder.message(call.record, pending.to.id, "sent", relayed);
      void this.#o.send(relayed, pending.to.flow).catch(() => {});
    }
  }

  // ─── in-dialog requests ──────────────────────────────────────────────────

  /** A request with a To tag: answered by its call (in-dialog-relay.ts) or what is kept of it. */
  onInDialog(req: SipRequest, tx: ServerTransaction): void {
    const found = this.#dialogs.find(req);
    if (!found) {
      tx.respond(createResponse(req, 481, "Call/Transaction Does Not Exist"));
      return;
    }
    if (isEnded(found)) return answerLate(found, req, tx, this.#o.recorder);
    inDialogRequest(this.#relayDeps, found.call, found.leg, req, tx);
  }

  // ─── endings ──────────────────────────────────────────────────────────────

  /** The transport of a connection closed: calls with a leg on it end with BYE to the other side. */
  onConnectionClosed(connectionId: string): void {
    for (const call of [...this.#calls]) {
      const dropped = call.legs().find((l) => l.flow.connectionId === connectionId);
      if (!dropped) continue;
      if (dropped === call.a || dropped === call.b) {
        this.#finish(call, { status: 487, endReason: "connection-closed", by: dropped });
        continue;
      }
      call.attempts.find((x) => x.leg === dropped)?.fail?.(503);
    }
  }

  /**
   * Ends a call from outside the signaling (a media timeout, a dead media worker): BYE to every
   * confirmed leg, or CANCEL and 503 while it still rings. `reason` is what the call records.
   */
  endCall(callId: string, reason: string): boolean {
    const call = [...this.#calls].find((c) => c.record.id === callId);
    if (!call || call.ended) return false;
    this.#finish(call, { status: 503, reason: "Service Unavailable", endReason: reason });
    return true;
  }

  /** Stops taking calls (503 + Retry-After); after `deadlineMs` the remaining calls get BYE. */
  async drain(deadlineMs: number): Promise<void> {
    this.#draining = true;
    const until = Date.now() + deadlineMs;
    while (this.#calls.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    for (const call of [...this.#calls]) {
      this.#finish(call, { status: 480, reason: "Temporarily Unavailable", endReason: "shutdown" });
    }
  }

  /**
   * The one place a call ends. Before an answer: pending forks are CANCELled and the caller gets
   * `status` (an API call's first party gets its ACK). After: BYE to
   * each confirmed leg but the one that ended it. Then the legs, the media and the record close.
   */
  #finish(call: Call, ending: Ending): void {
    if (call.ended) return;
    // Answered: a callee took the call, or an API call's first party did (the platform called it).
    const answered = call.b !== undefined || (!call.inbound && call.answeredAt !== undefined);
    this.#signals.cancelPending(call);
    // A 488 says why in a Warning (RFC 3261 §20.43), and the call records the same text.
    const refusal = !answered && ending.status === 488 ? call.mediaRefusal : undefined;
    if (!answered && call.inbound) {
      const status = ending.status ?? 500;
      const warning: HeaderInput[] = refusal ? [["Warning", warningValue(refusal)]] : [];
      this.#signals.respondA(call, status, ending.reason, undefined, [...warning, ...(ending.headers ?? [])]);
    }
    const endReason = refusal?.text ?? ending.endReason;
    // An API call's first party may still wait for the ACK of its 2xx (no callee answered, or the
    // call ends while the answer is worked out): it gets one before its BYE (RFC 3261 §13.2.2.4).
    if (!call.inbound && call.a && call.a !== ending.by && !call.aAcked) {
      call.aAcked = true;
      this.#signals.ackDeclining(call, call.a, call.aOffer);
    }
    for (const leg of [call.a, call.b]) {
      if (leg && leg !== ending.by && leg.state === "confirmed" && (answered || !call.inbound))
        this.#signals.sendInDialog(call, leg, "BYE");
    }
    for (const leg of call.legs()) {
      if (leg.state === "terminated") continue;
      leg.end();
      this.#o.recorder.updateLeg(leg.id, { state: "terminated" });
    }
    this.#o.recorder.setState(call.record, answered ? "completed" : "failed", {
      ...(!answered && { status: ending.status ?? 500 }),
      reason: endReason,
      answeredAt: call.answeredAt,
    });
    call.moveTo("ended");
    call.log.info(
      {
        from: call.record.from,
        to: call.record.to,
        outcome: answered ? "completed" : "failed",
        ...(!answered && { status: ending.status ?? 500 }),
        reason: endReason,
        ...(call.answeredAt !== undefined && {
          durationSec: Math.round((Date.now() - call.answeredAt) / 1000),
        }),
      },
      "call ended",
    );
    call.clearTimers();
    this.#media.closeCall(call.record.id);
    this.#calls.delete(call);
    // Late BYE/ACK/CANCEL retransmissions find what is kept of its legs for 64*T1, not the call.
    const a = this.#dialogs.end(call);
    const tx = call.inbound?.tx;
    if (tx && a && this.#byInviteTx.has(tx)) this.#byInviteTx.set(tx, a);
  }
}
