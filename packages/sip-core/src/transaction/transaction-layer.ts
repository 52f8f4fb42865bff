import type { SipRequest, SipResponse } from "../message/types.js";
import { resolveTimerConfig } from "../timers.js";
import type { TimerConfig, Timers } from "../timers.js";
import { InvalidStateError } from "./errors.js";
import { InviteClientTransaction } from "./invite-client-transaction.js";
import type { ClientTransactionEvents, InviteClientState } from "./invite-client-transaction.js";
import { InviteServerTransaction } from "./invite-server-transaction.js";
import type { InviteServerState, ServerRequestOutcome } from "./invite-server-transaction.js";
import { getTo } from "../headers/typed.js";
import { NonInviteClientTransaction } from "./non-invite-client-transaction.js";
import type { NonInviteClientState } from "./non-invite-client-transaction.js";
import { NonInviteServerTransaction } from "./non-invite-server-transaction.js";
import type { NonInviteServerState } from "./non-invite-server-transaction.js";
import type { EventMap } from "./emitter.js";
import type { TransactionContext, TransactionEvents } from "./transaction-base.js";
import { ownString } from "../message/own-string.js";
import { clientKey, hasMagicCookie, rfc2543AckKeyOfInvite, serverKey } from "./transaction-keys.js";
import type { Transport } from "./transport.js";
import { hasClock, WaitQueue } from "./wait-queue.js";

/**
 * What the TU sees of any transaction: state, events, and the request that created it while the
 * state machine still holds it (not once a final response was sent or received).
 */
interface TransactionView<S extends string, E extends TransactionEvents<S> & EventMap<E>> {
  readonly key: string;
  readonly request: SipRequest | undefined;
  readonly transport: Transport;
  readonly method: string;
  readonly state: S;
  readonly terminated: boolean;
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  terminate(): void;
}

/** An INVITE or non-INVITE client transaction (RFC 3261 §17.1); narrow with `instanceof` if needed. */
export interface ClientTransaction extends TransactionView<
  InviteClientState | NonInviteClientState,
  ClientTransactionEvents<InviteClientState | NonInviteClientState>
> {
  /** Sends the request and starts the timers. */
  start(): void;
  receiveResponse(response: SipResponse): void;
}

/**
 * An INVITE or non-INVITE server transaction (RFC 3261 §17.2). `ack.received` exists on
 * {@link InviteServerTransaction} only.
 */
export interface ServerTransaction extends TransactionView<
  InviteServerState | NonInviteServerState,
  TransactionEvents<InviteServerState | NonInviteServerState>
> {
  /** Sends a response from the TU. */
  respond(response: SipResponse): void;
  /** A retransmission (or ACK) routed here by the layer. */
  receiveRequest(request: SipRequest): ServerRequestOutcome;
  /** The last provisional response while Proceeding (a final one is kept as bytes only). */
  readonly lastResponse: SipResponse | undefined;
}

export interface TransactionLayerOptions {
  readonly timers: Timers;
  /** T1, T2, T4 and Timer D; RFC 3261 defaults for whatever is left out. */
  readonly config?: Partial<TimerConfig>;
  /** Automatic 100 Trying for INVITE after this many ms without a TU response (default 200, §17.2.1). */
  readonly autoTryingMs?: number | false;
}

/** What became of an incoming request (RFC 3261 §17.2.3). */
export type IncomingRequestResult =
  /** No transaction matched: a server transaction was created; the TU must answer through it. */
  | { kind: "new"; transaction: ServerTransaction }
  /** A retransmission (or an ACK for a non-2xx) handled by its transaction; nothing for the TU. */
  | { kind: "absorbed"; transaction: ServerTransaction }
  /**
   * An ACK for the TU: matched to an Accepted INVITE server transaction (RFC 6026), or matched
   * to none (the ACK for a 2xx has its own branch, RFC 3261 §13.3.1.4, §17.2.3).
   */
  | { kind: "ack"; request: SipRequest; transaction: InviteServerTransaction | undefined }
  /** The request lacks what matching needs (Via, CSeq, Call-ID); answer 400 or drop it. */
  | { kind: "invalid"; reason: string };

/** What became of an incoming response (RFC 3261 §17.1.3, §18.1.2). */
export type IncomingResponseResult =
  | { kind: "matched"; transaction: ClientTransaction }
  /** No client transaction matched: a proxy forwards it, a UA drops it (RFC 3261 §18.1.2 as updated by RFC 6026). */
  | { kind: "stray"; response: SipResponse }
  | { kind: "invalid"; reason: string };

/**
 * The transaction layer (RFC 3261 §17): owns the client and server transaction maps, routes
 * incoming requests and responses to their transaction or reports them as new to the TU, and
 * forgets every transaction the moment it terminates.
 */
export class TransactionLayer {
  readonly #config: TimerConfig;
  /** Shared by every transaction of the layer; its `ended` forgets a transaction that terminated. */
  readonly #context: TransactionContext;
  readonly #waits: WaitQueue | undefined;
  readonly #autoTryingMs: number | false;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  /** RFC 2543 INVITE server transactions by the key their ACK is looked up under. */
  readonly #rfc2543Acks = new Map<string, InviteServerTransaction>();

  constructor(options: TransactionLayerOptions) {
    this.#config = resolveTimerConfig(options.config);
    this.#autoTryingMs = options.autoTryingMs ?? 200;
    const timers = options.timers;
    this.#waits = hasClock(timers) ? new WaitQueue(timers) : undefined;
    this.#context = {
      timers,
      config: this.#config,
      waits: this.#waits,
      ended: (transaction) => this.#forget(transaction),
    };
  }

  /** Live transactions, by kind; zero once everything has terminated (nothing leaks). */
  get size(): { client: number; server: number; rfc2543Acks: number } {
    return { client: this.#clients.size, server: this.#servers.size, rfc2543Acks: this.#rfc2543Acks.size };
  }

  get config(): TimerConfig {
    return this.#config;
  }

  /**
   * A client transaction for a request built by the TU, whose top Via already carries a branch
   * (see `generateBranch`). Subscribe to its events, then call `start()` to send. ACK is not
   * a transaction (§17.1.1.3, §13.2.2.4): send it straight to the transport.
   */
  createClientTransaction(request: SipRequest, transport: Transport): ClientTransaction {
    if (request.method === "ACK") throw new InvalidStateError("ACK does not create a client transaction");
    const key = clientKey(request);
    if (!key.ok)
      throw new InvalidStateError(`cannot create a client transaction: ${key.reason}`, "SIP_ERR_BAD_MESSAGE");
    if (this.#clients.has(key.key)) {
      throw new InvalidStateError(
        `a client transaction ${key.key} already exists`,
        "SIP_ERR_DUPLICATE_TRANSACTION",
      );
    }
    const id = ownString(key.key);
    const transaction: ClientTransaction =
      request.method === "INVITE"
        ? new InviteClientTransaction(id, request, this.#context, transport)
        : new NonInviteClientTransaction(id, request, this.#context, transport);
    this.#clients.set(id, transaction);
    return transaction;
  }

  /** Routes a response to its client transaction (§17.1.3). */
  receiveResponse(response: SipResponse): IncomingResponseResult {
    const key = clientKey(response);
    if (!key.ok) return { kind: "invalid", reason: key.reason };
    const transaction = this.#clients.get(key.key);
    if (transaction === undefined) return { kind: "stray", response };
    transaction.receiveResponse(response);
    return { kind: "matched", transaction };
  }

  /**
   * Routes a request to its server transaction (§17.2.3), or creates one. `transport` is where the
   * request came from and where responses go.
   */
  receiveRequest(request: SipRequest, transport: Transport): IncomingRequestResult {
    const key = serverKey(request);
    if (!key.ok) return { kind: "invalid", reason: key.reason };
    if (request.method === "ACK") return this.#receiveAck(request, key.key);
    const existing = this.#servers.get(key.key);
    if (existing !== undefined) {
      existing.receiveRequest(request);
      return { kind: "absorbed", transaction: existing };
    }
    const id = ownString(key.key);
    let transaction: ServerTransaction;
    if (request.method === "INVITE") {
      const invite = new InviteServerTransaction(id, request, this.#context, transport, {
        autoTryingMs: this.#autoTryingMs,
      });
      transaction = invite;
      const rfc2543 = hasMagicCookie(request) ? undefined : rfc2543AckKeyOfInvite(request);
      if (rfc2543 !== undefined) {
        const ackKey = ownString(rfc2543);
        this.#rfc2543Acks.set(ackKey, invite);
        invite.on("transaction.terminated", () => {
          if (this.#rfc2543Acks.get(ackKey) === invite) this.#rfc2543Acks.delete(ackKey);
        });
      }
    } else {
      transaction = new NonInviteServerTransaction(id, request, this.#context, transport);
    }
    this.#servers.set(id, transaction);
    return { kind: "new", transaction };
  }

  #receiveAck(ack: SipRequest, key: string): IncomingRequestResult {
    let invite: ServerTransaction | InviteServerTransaction | undefined;
    if (hasMagicCookie(ack)) {
      invite = this.#servers.get(key);
    } else {
      // RFC 2543 fallback: the ACK's To tag must be the one our response carried (§17.2.3).
      const candidate = this.#rfc2543Acks.get(key);
      if (candidate !== undefined && candidate.responseToTag === getTo(ack)?.tag) invite = candidate;
    }
    if (!(invite instanceof InviteServerTransaction))
      return { kind: "ack", request: ack, transaction: undefined };
    return invite.receiveRequest(ack) === "to-tu"
      ? { kind: "ack", request: ack, transaction: invite }
      : { kind: "absorbed", transaction: invite };
  }

  /** The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2), if it still exists. */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const key = serverKey(cancel, "INVITE");
    if (!key.ok) return undefined;
    const found = this.#servers.get(key.key);
    return found instanceof InviteServerTransaction ? found : undefined;
  }

  /** Terminates every transaction (timers cleared, nothing sent); the maps end empty. */
  shutdown(): void {
    for (const transaction of [...this.#clients.values(), ...this.#servers.values()]) transaction.terminate();
    this.#waits?.clear();
  }

  /** A transaction terminated: out of its map (client and server keys never collide, §17). */
  #forget(transaction: { readonly key: string }): void {
    const key = transaction.key;
    if (this.#servers.get(key) === transaction) this.#servers.delete(key);
    else if (this.#clients.get(key) === transaction) this.#clients.delete(key);
  }
}
