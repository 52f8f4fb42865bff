/**
 * The B2BUA (RFC 3261 §12–§16, RFC 3264): calls between a tenant's registered users. The caller's
 * INVITE is authenticated (407), the callee's contacts are forked in parallel (first 2xx wins, the
 * others are CANCELled), provisional and final responses are relayed, and in-dialog requests
 * (BYE, INFO, re-INVITE, UPDATE, MESSAGE, NOTIFY) cross from one leg to the other. Each leg has its
 * own Call-ID and tags; calls never cross tenants.
 */
import {
  createCancel,
  createResponse,
  generateCallId,
  generateTag,
  getCSeq,
  getCallId,
  getContacts,
  getFrom,
  getTo,
  type HeaderInput,
  type InviteServerTransaction,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type TransactionLayer,
  type Transport,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import { Call, type Attempt } from "./call.js";
import type { CallRecorder } from "./call-recorder.js";
import { Leg, type LocalAddress } from "./leg.js";
import { relayInDialog } from "./in-dialog-relay.js";
import { contentTypeOf, isSdp, nameAddr, parseSip, passThroughHeaders, text, utf8 } from "./sip-helpers.js";
import { MediaRefusedError, passThroughMedia, type MediaPort } from "./media-port.js";

export interface Binding {
  contact: string;
  flow: Flow;
}

export interface TenantDomain {
  domainId: string;
  accountId: string;
  name: string;
}

export type AuthResult = { ok: true; username: string } | { ok: false; response: SipResponse };

/** What the B2BUA needs from tenancy, registrar and auth. */
export interface CallDirectory {
  findDomain(name: string): TenantDomain | undefined;
  lookup(domain: TenantDomain, user: string): Binding[];
  authenticate(req: SipRequest, flow: Flow, domain: TenantDomain): Promise<AuthResult>;
}

export interface B2buaOptions {
  layer: TransactionLayer;
  directory: CallDirectory;
  recorder: CallRecorder;
  send(message: SipRequest | SipResponse, flow: Flow): Promise<void>;
  transportFor(flow: Flow): Transport;
  localAddress(flow: Flow): LocalAddress;
  /** No answer after this long: CANCEL the callee, 480 to the caller. */
  ringTimeoutMs: number;
  t1Ms: number;
  /** Where SDP goes on its way between legs; pass-through when absent. */
  media?: MediaPort;
  /**
   * Called with a new call's INVITE before any of its events is published, so that callbacks it
   * registers (X-Hookline-Callback) see the whole call.
   */
  onNewCall?(call: { id: string; accountId: string }, invite: SipRequest): Promise<void>;
}

export class B2bua {
  readonly #o: B2buaOptions;
  readonly #media: MediaPort;
  /** `${Call-ID}\n${local tag}` → the call and leg of that dialog. */
  readonly #dialogs = new Map<string, { call: Call; leg: Leg }>();
  readonly #byInviteTx = new Map<InviteServerTransaction, Call>();
  readonly #calls = new Set<Call>();
  #draining = false;

  constructor(options: B2buaOptions) {
    this.#o = options;
    this.#media = options.media ?? passThroughMedia;
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  // ─── new calls ────────────────────────────────────────────────────────────

  async onInvite(req: SipRequest, flow: Flow, tx: InviteServerTransaction): Promise<void> {
    const respond = (status: number, reason?: string, headers?: HeaderInput[]) =>
      tx.respond(createResponse(req, status, reason, { toTag: generateTag(), ...(headers && { headers }) }));
    if (this.#draining) return respond(503, "Service Unavailable", [["Retry-After", "30"]]);
    const fromUri = parseSip(getFrom(req)?.uri);
    const domain = fromUri && this.#o.directory.findDomain(fromUri.host);
    if (!fromUri || !domain) return respond(404, "Not Found");
    const auth = await this.#o.directory.authenticate(req, flow, domain);
    if (!auth.ok) return tx.respond(auth.response);
    const target = parseSip(req.uri);
    // Calls never cross tenants: a callee outside the caller's domain is unknown here.
    if (!target?.user || target.host.toLowerCase() !== domain.name.toLowerCase())
      return respond(404, "Not Found");
    const bindings = this.#o.directory.lookup(domain, target.user);
    if (bindings.length === 0) return respond(404, "Not Found");

    const from = getFrom(req)!;
    const to = getTo(req)!;
    const record = this.#o.recorder.createCall({
      accountId: domain.accountId,
      domainId: domain.domainId,
      sipCallId: getCallId(req) ?? "",
      from: from.uri,
      to: to.uri,
    });
    const aLeg = new Leg(
      this.#o.recorder.createLeg(record, {
        direction: "inbound",
        sipCallId: getCallId(req) ?? "",
        localTag: "",
        remoteUri: from.uri,
        transport: flow.transport,
        source: `${flow.remoteAddress}:${flow.remotePort}`,
      }),
      "a",
      flow,
      this.#o.localAddress(flow),
      getCallId(req) ?? "",
      generateTag(),
      nameAddr(to.displayName, to.uri),
      nameAddr(from.displayName, from.uri),
      getContacts(req)[0]?.uri ?? from.uri,
    );
    aLeg.remoteTag = from.tag;
    aLeg.remoteCseq = getCSeq(req)?.seq;
    this.#o.recorder.updateLeg(aLeg.id, { ...(from.tag && { remoteTag: from.tag }) });
    const call = new Call(record, aLeg, req, tx);
    this.#calls.add(call);
    this.#byInviteTx.set(tx, call);
    this.#index(call, aLeg);
    await this.#o.onNewCall?.({ id: record.id, accountId: record.accountId }, req);
    this.#o.recorder.initiated(record);
    this.#o.recorder.message(record, aLeg.id, "received", req);
    this.#respondA(call, 100, "Trying");

    tx.on("transaction.terminated", () => this.#byInviteTx.delete(tx));
    const ring = setTimeout(() => this.#noAnswer(call), this.#o.ringTimeoutMs);
    call.timers.add(ring);
    await Promise.all(bindings.map((binding) => this.#fork(call, binding)));
    if (call.attempts.length === 0 && !call.ended) {
      this.#failCall(call, 488, "Not Acceptable Here", call.mediaRefusal, [
        ["Warning", `399 hookline "${call.mediaRefusal}"`],
      ]);
    }
  }

  async #fork(call: Call, binding: Binding): Promise<void> {
    const a = call.aInvite;
    const from = getFrom(a)!;
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
    const leg = new Leg(
      legId,
      "b",
      binding.flow,
      this.#o.localAddress(binding.flow),
      sipCallId,
      localTag,
      nameAddr(from.displayName, from.uri),
      nameAddr(getTo(a)?.displayName, getTo(a)!.uri),
      binding.contact,
    );
    let body = a.body;
    if (isSdp(a)) {
      try {
        body = utf8(await this.#media.offer(call.record.id, call.a, leg, text(a.body)));
      } catch (err) {
        if (!(err instanceof MediaRefusedError)) throw err;
        // This contact cannot be served; if none can, the caller gets 488 with the reason.
        call.mediaRefusal = err.message;
        this.#media.closeLeg(call.record.id, leg);
        this.#o.recorder.updateLeg(legId, { state: "terminated" });
        return;
      }
    }
    if (call.ended) return;
    const invite = leg.request("INVITE", {
      cseq: 1,
      headers: [
        ...passThroughHeaders(a),
        ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, NOTIFY, UPDATE"],
      ],
      body,
      ...contentTypeOf(a),
    });
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
    this.#index(call, leg);
    tx.on("response.received", (res: SipResponse) => this.#onAttemptResponse(call, attempt, res));
    tx.on("transaction.timeout", () => this.#onAttemptFailed(call, attempt, 408));
    tx.on("transport.error", () => this.#onAttemptFailed(call, attempt, 503));
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
        to: utf8(await this.#media.answer(call.record.id, attempt.leg, call.a, sdp)),
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
      if (status === 100) return;
      attempt.provisional = true;
      if (call.b || call.ended) return;
      leg.remoteTag ??= getTo(res)?.tag;
      leg.refreshTarget(res);
      if (leg.state === "trying") {
        leg.state = "early";
        this.#o.recorder.updateLeg(leg.id, {
          state: "early",
          ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
        });
      }
      if (attempt.cancelled) this.#sendCancel(call, attempt);
      this.#respondA(call, status, res.reason, res, [], body);
      if (status === 180 || status === 183) this.#o.recorder.setState(call.record, "ringing");
      return;
    }
    if (status < 300) return this.#onAttemptAnswered(call, attempt, res, body);
    attempt.final = status;
    this.#media.closeLeg(call.record.id, leg);
    leg.state = "terminated";
    this.#o.recorder.updateLeg(leg.id, { state: "terminated" });
    this.#maybeFail(call, res);
  }

  #onAttemptAnswered(call: Call, attempt: Attempt, res: SipResponse, body: Uint8Array | undefined): void {
    const leg = attempt.leg;
    if (call.b === leg) {
      // A retransmitted 2xx: the ACK got lost (RFC 3261 §13.2.2.4), send it again.
      if (call.bAcked) this.#ackB(call, undefined);
      return;
    }
    attempt.final = res.status;
    if (call.b || call.ended) {
      // Another fork already won, or the call is gone: confirm and end this dialog at once.
      leg.remoteTag = getTo(res)?.tag;
      leg.refreshTarget(res);
      const ack = leg.request("ACK", { cseq: 1 });
      void this.#o.send(ack, leg.flow).catch(() => {});
      this.#sendInDialog(call, leg, "BYE");
      this.#media.closeLeg(call.record.id, leg);
      return;
    }
    call.b = leg;
    call.bAnswer = res;
    leg.remoteTag = getTo(res)?.tag;
    leg.refreshTarget(res);
    leg.state = "confirmed";
    this.#o.recorder.updateLeg(leg.id, {
      state: "confirmed",
      ...(leg.remoteTag && { remoteTag: leg.remoteTag }),
    });
    for (const other of call.attempts) {
      if (other !== attempt && other.final === undefined) {
        other.cancelled = true;
        this.#sendCancel(call, other);
      }
    }
    this.#clearRing(call);
    call.a.state = "confirmed";
    this.#o.recorder.updateLeg(call.a.id, { state: "confirmed" });
    this.#respondA(call, res.status, res.reason, res, [], body);
    this.#o.recorder.setState(call.record, "answered");
    this.#retransmit2xxToA(call);
  }

  #onAttemptFailed(call: Call, attempt: Attempt, status: number): void {
    if (attempt.final !== undefined) return;
    attempt.final = status;
    attempt.leg.state = "terminated";
    this.#o.recorder.updateLeg(attempt.leg.id, { state: "terminated" });
    if (call.b !== attempt.leg) this.#media.closeLeg(call.record.id, attempt.leg);
    if (call.b === attempt.leg && !call.ended) return this.#end(call, attempt.leg, "transport-error");
    this.#maybeFail(call, undefined);
  }

  /** When every fork has failed, the best final response goes to the caller (§16.7 step 6). */
  #maybeFail(call: Call, last: SipResponse | undefined): void {
    if (call.b || call.ended || call.attempts.some((x) => x.final === undefined)) return;
    const statuses = call.attempts.map((x) => x.final ?? 500);
    const best = statuses.find((s) => s >= 600) ?? statuses.find((s) => s === 486) ?? Math.min(...statuses);
    const reason = last && last.status === best ? last.reason : undefined;
    this.#failCall(call, best, reason);
  }

  #noAnswer(call: Call): void {
    if (call.b || call.ended) return;
    for (const attempt of call.attempts) {
      if (attempt.final === undefined) {
        attempt.cancelled = true;
        this.#sendCancel(call, attempt);
      }
    }
    this.#failCall(call, 480, "Temporarily Unavailable");
  }

  #failCall(call: Call, status: number, reason?: string, endReason?: string, headers?: HeaderInput[]): void {
    if (call.ended) return;
    call.ended = true;
    this.#respondA(call, status, reason, undefined, headers);
    call.a.state = "terminated";
    this.#o.recorder.updateLeg(call.a.id, { state: "terminated" });
    this.#o.recorder.setState(call.record, "failed", {
      status,
      reason: endReason ?? reason ?? String(status),
    });
    this.#forget(call);
  }

  // ─── caller's side ─────────────────────────────────────────────────────────

  /** CANCEL for a pending INVITE (RFC 3261 §9.2): 200 to the CANCEL, 487 to the INVITE. */
  onCancel(cancel: SipRequest, tx: ServerTransaction, invite: InviteServerTransaction | undefined): void {
    const call = invite && this.#byInviteTx.get(invite);
    if (!call) {
      tx.respond(createResponse(cancel, 481, "Call/Transaction Does Not Exist", { toTag: generateTag() }));
      return;
    }
    this.#o.recorder.message(call.record, call.a.id, "received", cancel);
    const ok = createResponse(cancel, 200, "OK", { toTag: call.a.localTag });
    tx.respond(ok);
    this.#o.recorder.message(call.record, call.a.id, "sent", ok);
    if (call.b || call.ended) return;
    for (const attempt of call.attempts) {
      if (attempt.final === undefined) {
        attempt.cancelled = true;
        this.#sendCancel(call, attempt);
      }
    }
    this.#failCall(call, 487, "Request Terminated", "cancelled");
  }

  /** An ACK outside any transaction: for a 2xx (§13.2.2.4), routed by its dialog. */
  onAck(ack: SipRequest): void {
    const found = this.#dialogOf(ack);
    if (!found) return;
    const { call, leg } = found;
    this.#o.recorder.message(call.record, leg.id, "received", ack);
    if (leg === call.a && !call.aAcked) {
      call.aAcked = true;
      if (call.b && !call.bAcked) this.#ackB(call, ack);
      return;
    }
    const pending = call.pendingAck;
    if (pending && pending.from === leg) {
      call.pendingAck = undefined;
      const relayed = pending.to.request("ACK", {
        cseq: pending.toCseq,
        body: ack.body,
        ...contentTypeOf(ack),
      });
      this.#o.recorder.message(call.record, pending.to.id, "sent", relayed);
      void this.#o.send(relayed, pending.to.flow).catch(() => {});
    }
  }

  #ackB(call: Call, fromA: SipRequest | undefined): void {
    const b = call.b!;
    call.bAcked = true;
    const ack = b.request("ACK", { cseq: 1, ...(fromA && { body: fromA.body, ...contentTypeOf(fromA) }) });
    this.#o.recorder.message(call.record, b.id, "sent", ack);
    void this.#o.send(ack, b.flow).catch(() => {});
  }

  // ─── in-dialog requests ──────────────────────────────────────────────────

  /** A request with a To tag: BYE ends the call, others are relayed to the other leg. */
  onInDialog(req: SipRequest, tx: ServerTransaction): void {
    const found = this.#dialogOf(req);
    if (!found) {
      tx.respond(createResponse(req, 481, "Call/Transaction Does Not Exist"));
      return;
    }
    const { call, leg } = found;
    this.#o.recorder.message(call.record, leg.id, "received", req);
    const reply = (status: number, reason?: string, from?: SipResponse, body?: Uint8Array) => {
      const res = createResponse(req, status, reason, {
        headers: [["Contact", leg.contact], ...(from ? passThroughHeaders(from) : [])],
        ...(from && from.body.length > 0 && { body: body ?? from.body, ...contentTypeOf(from) }),
      });
      this.#o.recorder.message(call.record, leg.id, "sent", res);
      tx.respond(res);
    };
    const cseq = getCSeq(req)?.seq ?? 0;
    // RFC 3261 §12.2.2: a lower CSeq than the last one is out of order.
    if (leg.remoteCseq !== undefined && cseq < leg.remoteCseq) return reply(500, "Server Internal Error");
    leg.remoteCseq = cseq;
    if (req.method === "BYE") {
      reply(200, "OK");
      this.#end(call, leg, leg === call.a ? "caller-hangup" : "callee-hangup");
      return;
    }
    const other = call.other(leg);
    if (!other || other.state !== "confirmed" || call.ended)
      return reply(481, "Call/Transaction Does Not Exist");
    if (req.method === "INVITE" || req.method === "UPDATE") leg.refreshTarget(req);
    relayInDialog(
      {
        layer: this.#o.layer,
        recorder: this.#o.recorder,
        media: this.#media,
        transportFor: this.#o.transportFor,
      },
      call,
      leg,
      other,
      req,
      reply,
    ).catch((err: unknown) => {
      console.error(`[b2bua] call ${call.record.id}: ${req.method} not relayed:`, err);
      reply(500, "Server Internal Error");
    });
  }

  // ─── endings ──────────────────────────────────────────────────────────────

  /** The transport of a connection closed: calls with a leg on it end with BYE to the other side. */
  onConnectionClosed(connectionId: string): void {
    for (const call of [...this.#calls]) {
      const dropped = call.legs().find((l) => l.flow.connectionId === connectionId);
      if (!dropped) continue;
      if (call.b) {
        if (dropped === call.a || dropped === call.b) this.#end(call, dropped, "connection-closed", true);
        continue;
      }
      if (dropped === call.a) {
        for (const attempt of call.attempts) {
          if (attempt.final === undefined) {
            attempt.cancelled = true;
            this.#sendCancel(call, attempt);
          }
        }
        call.ended = true;
        this.#o.recorder.setState(call.record, "failed", { status: 487, reason: "connection-closed" });
        this.#forget(call);
      } else {
        const attempt = call.attempts.find((x) => x.leg === dropped);
        if (attempt) this.#onAttemptFailed(call, attempt, 503);
      }
    }
  }

  /**
   * Ends a call from outside the signaling (a media timeout, a dead media worker): BYE to every
   * confirmed leg, or CANCEL and 503 while it still rings. `reason` is what the call records.
   */
  endCall(callId: string, reason: string): boolean {
    const call = [...this.#calls].find((c) => c.record.id === callId);
    if (!call || call.ended) return false;
    if (!call.b) {
      for (const attempt of call.attempts) {
        if (attempt.final === undefined) {
          attempt.cancelled = true;
          this.#sendCancel(call, attempt);
        }
      }
      this.#failCall(call, 503, "Service Unavailable", reason);
      return true;
    }
    this.#sendInDialog(call, call.a, "BYE");
    this.#end(call, call.a, reason);
    return true;
  }

  /** Stops taking calls (503 + Retry-After); after `deadlineMs` the remaining calls get BYE. */
  async drain(deadlineMs: number): Promise<void> {
    this.#draining = true;
    const until = Date.now() + deadlineMs;
    while (this.#calls.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    for (const call of [...this.#calls]) {
      if (call.b) {
        this.#sendInDialog(call, call.a, "BYE");
        this.#end(call, call.a, "shutdown");
      } else {
        this.#noAnswer(call);
      }
    }
  }

  #end(call: Call, by: Leg, reason: string, byGone = false): void {
    if (call.ended) return;
    call.ended = true;
    const other = call.other(by);
    if (other && other.state === "confirmed") this.#sendInDialog(call, other, "BYE");
    if (byGone) by.state = "terminated";
    for (const leg of [call.a, call.b]) {
      if (leg) {
        leg.state = "terminated";
        this.#o.recorder.updateLeg(leg.id, { state: "terminated" });
      }
    }
    this.#o.recorder.setState(call.record, "completed", { reason });
    this.#forget(call);
  }

  #sendInDialog(call: Call, leg: Leg, method: string): void {
    const req = leg.request(method);
    this.#o.recorder.message(call.record, leg.id, "sent", req);
    try {
      const tx = this.#o.layer.createClientTransaction(req, this.#o.transportFor(leg.flow));
      tx.on("response.received", (res: SipResponse) =>
        this.#o.recorder.message(call.record, leg.id, "received", res),
      );
      tx.start();
    } catch (err) {
      console.error(`[b2bua] ${method} not sent:`, (err as Error).message);
    }
  }

  #sendCancel(call: Call, attempt: Attempt): void {
    // RFC 3261 §9.1: a CANCEL waits until a provisional response arrived.
    if (!attempt.provisional || attempt.final !== undefined || attempt.tx.state === "terminated") return;
    const cancel = createCancel(attempt.invite);
    this.#o.recorder.message(call.record, attempt.leg.id, "sent", cancel);
    try {
      const tx = this.#o.layer.createClientTransaction(cancel, this.#o.transportFor(attempt.leg.flow));
      tx.on("response.received", (res: SipResponse) =>
        this.#o.recorder.message(call.record, attempt.leg.id, "received", res),
      );
      tx.start();
    } catch {
      // A CANCEL for this branch already exists.
    }
  }

  #respondA(
    call: Call,
    status: number,
    reason?: string,
    from?: SipResponse,
    headers: HeaderInput[] = [],
    body?: Uint8Array,
  ): void {
    const res = createResponse(call.aInvite, status, reason, {
      toTag: call.a.localTag,
      headers: [
        ...(status > 100 && status < 300 ? ([["Contact", call.a.contact]] as HeaderInput[]) : []),
        ...(from ? passThroughHeaders(from) : []),
        ...headers,
      ],
      ...(from && from.body.length > 0 && { body: body ?? from.body, ...contentTypeOf(from) }),
    });
    this.#o.recorder.message(call.record, call.a.id, "sent", res);
    try {
      call.aTx.respond(res);
    } catch (err) {
      console.error("[b2bua] response to caller not sent:", (err as Error).message);
    }
  }

  /** Over UDP the UAS core retransmits its 2xx until the ACK arrives (RFC 3261 §13.3.1.4). */
  #retransmit2xxToA(call: Call): void {
    if (call.a.flow.transport !== "udp") return;
    const last = call.aTx.lastResponse;
    let interval = this.#o.t1Ms;
    const tick = () => {
      if (call.aAcked || call.ended || !last) return;
      if (interval > 64 * this.#o.t1Ms) return this.#end(call, call.a, "no-ack");
      try {
        call.aTx.respond(last);
      } catch {
        return;
      }
      interval = Math.min(interval * 2, 4000);
      const t = setTimeout(tick, interval);
      call.timers.add(t);
    };
    const t = setTimeout(tick, interval);
    call.timers.add(t);
  }

  #clearRing(call: Call): void {
    call.clearTimers();
  }

  #index(call: Call, leg: Leg): void {
    this.#dialogs.set(`${leg.sipCallId}\n${leg.localTag}`, { call, leg });
  }

  #dialogOf(req: SipRequest): { call: Call; leg: Leg } | undefined {
    const tag = getTo(req)?.tag;
    return tag ? this.#dialogs.get(`${getCallId(req)}\n${tag}`) : undefined;
  }

  #forget(call: Call): void {
    call.clearTimers();
    this.#media.closeCall(call.record.id);
    this.#calls.delete(call);
    // Keep the dialogs a little longer so late BYE/ACK retransmissions find them (64*T1).
    setTimeout(() => {
      for (const leg of call.legs()) this.#dialogs.delete(`${leg.sipCallId}\n${leg.localTag}`);
    }, 64 * this.#o.t1Ms).unref();
  }
}
