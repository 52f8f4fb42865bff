/**
 * The B2BUA (RFC 3261 §12–§16, RFC 3264): calls between a tenant's registered users. The caller's
 * INVITE is authenticated (407), the callee's contacts are forked in parallel (first 2xx wins, the
 * others are CANCELled), provisional and final responses are relayed, and in-dialog requests
 * (BYE, INFO, re-INVITE, UPDATE, MESSAGE, NOTIFY) cross from one leg to the other. Each leg has its
 * own Call-ID and tags; calls never cross tenants.
 */
import {
  createResponse,
  generateTag,
  getCallId,
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
import type { TenantDomain } from "../tenancy/tenant-directory.js";
import type { Flow } from "../transport/types.js";
import { Call } from "./call.js";
import { CallSignals } from "./call-signals.js";
import { Forker } from "./forking.js";
import type { CallRecorder } from "./call-recorder.js";
import { Leg, type LocalAddress } from "./leg.js";
import { relayInDialog } from "./in-dialog-relay.js";
import { contentTypeOf, parseSip, passThroughHeaders } from "./sip-helpers.js";
import { passThroughMedia, type MediaPort } from "./media-port.js";

export interface Binding {
  contact: string;
  flow: Flow;
}

export type { TenantDomain };

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
  readonly #signals: CallSignals;
  readonly #forker: Forker;
  /** `${Call-ID}\n${local tag}` → the call and leg of that dialog. */
  readonly #dialogs = new Map<string, { call: Call; leg: Leg }>();
  readonly #byInviteTx = new Map<InviteServerTransaction, Call>();
  readonly #calls = new Set<Call>();
  #draining = false;

  constructor(options: B2buaOptions) {
    this.#o = options;
    this.#media = options.media ?? passThroughMedia;
    this.#signals = new CallSignals(options);
    this.#forker = new Forker({
      ...options,
      media: this.#media,
      signals: this.#signals,
      index: (call, leg) => this.#index(call, leg),
      failCall: (call, status, reason) => this.#failCall(call, status, reason),
      end: (call, leg, reason) => this.#end(call, leg, reason),
    });
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Callers' INVITE transactions still remembered for CANCEL matching; zero once all have ended. */
  get pendingInvites(): number {
    return this.#byInviteTx.size;
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
    const aTag = generateTag();
    const aLegId = this.#o.recorder.createLeg(record, {
      direction: "inbound",
      sipCallId: getCallId(req) ?? "",
      localTag: aTag,
      remoteTag: from.tag ?? null,
      remoteUri: from.uri,
      transport: flow.transport,
      source: `${flow.remoteAddress}:${flow.remotePort}`,
    });
    const aLeg = new Leg(aLegId, flow, this.#o.localAddress(flow), getCallId(req) ?? "", aTag);
    const call = new Call(record, aLeg, req, tx);
    this.#calls.add(call);
    this.#byInviteTx.set(tx, call);
    tx.on("transaction.terminated", () => this.#byInviteTx.delete(tx));
    this.#index(call, aLeg);
    try {
      await this.#o.onNewCall?.({ id: record.id, accountId: record.accountId }, req);
    } catch (err) {
      // The call exists now: it must end through #failCall, or it stays among the active calls.
      console.error(`[b2bua] call ${record.id}: onNewCall failed:`, err);
      return this.#failCall(call, 500, "Server Internal Error", "internal-error");
    }
    this.#o.recorder.initiated(record);
    this.#o.recorder.message(record, aLeg.id, "received", req);
    this.#signals.respondA(call, 100, "Trying");

    const ring = setTimeout(() => this.#noAnswer(call), this.#o.ringTimeoutMs);
    call.timers.add(ring);
    await Promise.all(bindings.map((binding) => this.#forker.fork(call, binding)));
    if (call.attempts.length === 0 && !call.ended) {
      if (call.mediaRefusal === undefined)
        return this.#failCall(call, 500, "Server Internal Error", "media-failed");
      this.#failCall(call, 488, "Not Acceptable Here", call.mediaRefusal, [
        ["Warning", `399 hookline "${call.mediaRefusal}"`],
      ]);
    }
  }

  #noAnswer(call: Call): void {
    if (call.b || call.ended) return;
    this.#signals.cancelPending(call);
    this.#failCall(call, 480, "Temporarily Unavailable");
  }

  #failCall(call: Call, status: number, reason?: string, endReason?: string, headers?: HeaderInput[]): void {
    if (call.ended) return;
    call.ended = true;
    this.#signals.respondA(call, status, reason, undefined, headers);
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
    this.#signals.cancelPending(call);
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
      if (call.b && !call.bAcked) this.#signals.ackB(call, ack);
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
      try {
        tx.respond(res);
      } catch (err) {
        // The transaction ended meanwhile (shutdown, a late relayed answer): nothing to answer.
        console.warn(`[b2bua] ${req.method} ${status} not sent:`, (err as Error).message);
      }
    };
    // RFC 3261 §12.2.2: out-of-order CSeq → 500; a target refresh updates the remote target.
    const checked = leg.dialog?.receiveRequest(req);
    if (checked && !checked.ok) return reply(checked.status, checked.reason);
    if (req.method === "BYE") {
      reply(200, "OK");
      this.#end(call, leg, leg === call.a ? "caller-hangup" : "callee-hangup");
      return;
    }
    const other = call.other(leg);
    if (!other || other.state !== "confirmed" || call.ended)
      return reply(481, "Call/Transaction Does Not Exist");
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
        this.#signals.cancelPending(call);
        call.ended = true;
        this.#o.recorder.setState(call.record, "failed", { status: 487, reason: "connection-closed" });
        this.#forget(call);
      } else {
        const attempt = call.attempts.find((x) => x.leg === dropped);
        if (attempt) this.#forker.onAttemptFailed(call, attempt, 503);
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
      this.#signals.cancelPending(call);
      this.#failCall(call, 503, "Service Unavailable", reason);
      return true;
    }
    this.#signals.sendInDialog(call, call.a, "BYE");
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
        this.#signals.sendInDialog(call, call.a, "BYE");
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
    if (other && other.state === "confirmed") this.#signals.sendInDialog(call, other, "BYE");
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
