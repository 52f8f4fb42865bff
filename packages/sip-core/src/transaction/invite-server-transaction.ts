import { createResponse } from "../builders/builders.js";
import { getTo } from "../headers/typed.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { InvalidStateError } from "./errors.js";
import type { TransportError } from "./errors.js";
import { RetainedMessage } from "./retained-message.js";
import { TransactionBase } from "./transaction-base.js";
import { hasMagicCookie } from "./transaction-keys.js";
import type { Transport } from "./transport.js";
import type { TransactionContext, TransactionEvents } from "./transaction-base.js";

/** RFC 3261 §17.2.1 Figure 7 with the Accepted state of RFC 6026. */
export type InviteServerState = "proceeding" | "accepted" | "completed" | "confirmed" | "terminated";

export interface InviteServerTransactionEvents extends TransactionEvents<InviteServerState> {
  /** An ACK matched this transaction while Accepted (RFC 6026, Figure 7: "ACK / to TU"). */
  "ack.received": [ack: SipRequest];
}

export interface InviteServerOptions {
  /**
   * Send 100 Trying if the TU has not responded within this many ms (RFC 3261 §17.2.1: "200 ms").
   * `false` leaves it to the TU.
   */
  readonly autoTryingMs?: number | false;
}

/** What an incoming request did to a server transaction. */
export type ServerRequestOutcome = "absorbed" | "to-tu";

/**
 * INVITE server transaction. The TU answers through {@link respond}; a retransmitted INVITE gets
 * the last provisional (Proceeding) or final (Completed) response again; a non-2xx final is
 * retransmitted on Timer G (T1 doubling to T2, unreliable only) until the ACK (→ Confirmed, Timer I)
 * or Timer H (64·T1, timeout). A 2xx leads to Accepted for Timer L (64·T1): the TU's own 2xx
 * retransmissions pass through, INVITE retransmissions are absorbed (RFC 6026). From its final
 * response on it holds no parsed message: Completed keeps the response's bytes, Accepted and
 * Confirmed nothing (and, for an RFC 2543 INVITE, the To tag its ACK must carry).
 */
export class InviteServerTransaction extends TransactionBase<
  InviteServerState,
  InviteServerTransactionEvents
> {
  /** The last provisional response, repeated for a retransmitted INVITE while Proceeding. */
  #lastResponse: SipResponse | undefined;
  /** The non-2xx final response, serialized, repeated while Completed (§17.2.1). */
  #final: RetainedMessage | undefined;
  /** An RFC 2543 INVITE (no magic cookie): its ACK is matched by the To tag (§17.2.3). */
  readonly #rfc2543: boolean;
  #toTag: string | undefined;

  constructor(
    key: string,
    request: SipRequest,
    context: TransactionContext,
    transport: Transport,
    options: InviteServerOptions = {},
  ) {
    super(key, request, context, transport, "proceeding");
    this.#rfc2543 = !hasMagicCookie(request);
    const trying = options.autoTryingMs ?? 200;
    if (trying !== false) {
      this.startTimer("Trying", trying, () => {
        const request = this.request;
        if (this.state === "proceeding" && this.#lastResponse === undefined && request !== undefined)
          this.respond(createResponse(request, 100));
      });
    }
  }

  /**
   * The last provisional response sent while Proceeding; undefined before one and once a final
   * response has been sent (the TU that retransmits its 2xx, §13.3.1.4, keeps its own).
   */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** The To tag of the last response, kept for RFC 2543 INVITEs only (ACK matching, §17.2.3). */
  get responseToTag(): string | undefined {
    return this.#toTag;
  }

  /** Sends a response from the TU (RFC 3261 §17.2.1, RFC 6026). */
  respond(response: SipResponse): void {
    const status = response.status;
    if (status < 100 || status > 699) throw new RangeError(`status ${status}`);
    if (this.state === "accepted") {
      if (status < 200 || status >= 300)
        throw new InvalidStateError(`only a 2xx may follow a 2xx (got ${status})`);
      this.send(response);
      return;
    }
    if (this.state !== "proceeding") throw new InvalidStateError(`respond() in state ${this.state}`);
    this.stopTimer("Trying");
    if (this.#rfc2543) this.#toTag = getTo(response)?.tag;
    if (status < 200) {
      this.#lastResponse = response;
      this.send(response);
    } else if (status < 300) {
      // RFC 6026: Accepted absorbs INVITE retransmissions and passes the TU's own 2xx; it needs
      // no message and cannot time out.
      this.setState("accepted");
      this.releaseMessages();
      this.removeListeners("transaction.timeout");
      this.wait("L", 64 * this.config.t1);
      this.send(response);
    } else {
      this.setState("completed");
      this.releaseMessages();
      this.removeListeners("ack.received");
      this.#final = new RetainedMessage(response);
      if (!this.transport.reliable) this.#armTimerG(this.config.t1);
      this.startTimer("H", 64 * this.config.t1, () => {
        if (this.state === "completed") this.timeout();
      });
      this.send(response);
    }
  }

  #armTimerG(interval: number): void {
    this.startTimer("G", interval, () => {
      if (this.state !== "completed") return;
      this.resend(this.#final);
      this.#armTimerG(Math.min(2 * interval, this.config.t2));
    });
  }

  /** A retransmitted INVITE or an ACK matched to this transaction by the layer (RFC 3261 §17.2.3). */
  receiveRequest(request: SipRequest): ServerRequestOutcome {
    if (request.method === "ACK") {
      if (this.state === "completed") {
        this.stopTimer("G");
        this.stopTimer("H");
        this.setState("confirmed");
        // Confirmed only absorbs further ACKs (§17.2.1): nothing to send, nothing for the TU.
        this.releaseMessages();
        this.removeListeners("transport.error", "transaction.timeout");
        this.wait("I", this.transport.reliable ? 0 : this.config.t4);
      } else if (this.state === "accepted") {
        this.emit("ack.received", request);
        return "to-tu";
      }
      return "absorbed";
    }
    // A retransmitted INVITE: repeat the last response in Proceeding and Completed (§17.2.1).
    if (this.state === "proceeding" && this.#lastResponse !== undefined) this.send(this.#lastResponse);
    else if (this.state === "completed") this.resend(this.#final);
    return "absorbed";
  }

  protected override releaseMessages(): void {
    super.releaseMessages();
    this.#lastResponse = undefined;
    this.#final = undefined;
  }

  protected onTransportError(error: TransportError): void {
    // §17.2.4, Figure 7: Proceeding and Completed terminate; RFC 6026: Accepted only informs the TU.
    if (this.state === "confirmed") return;
    this.events().emit("transport.error", error);
    if (this.state !== "accepted") this.setState("terminated");
  }
}
