import type { SipRequest, SipResponse } from "../message/types.js";
import { InvalidStateError } from "./errors.js";
import type { TransportError } from "./errors.js";
import type { ServerRequestOutcome } from "./invite-server-transaction.js";
import { RetainedMessage } from "./retained-message.js";
import { TransactionBase } from "./transaction-base.js";
import type { Transport } from "./transport.js";
import type { TransactionContext, TransactionEvents } from "./transaction-base.js";

/** RFC 3261 §17.2.2 Figure 8. */
export type NonInviteServerState = "trying" | "proceeding" | "completed" | "terminated";

/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2). Retransmitted requests are swallowed while
 * Trying and answered with the last response while Proceeding or Completed; Timer J (64·T1, zero
 * on reliable transports) keeps the final response around for them, as bytes only.
 */
export class NonInviteServerTransaction extends TransactionBase<
  NonInviteServerState,
  TransactionEvents<NonInviteServerState>
> {
  /** The last provisional response, repeated while Proceeding. */
  #lastResponse: SipResponse | undefined;
  /** The final response, serialized, repeated while Completed (§17.2.2). */
  #final: RetainedMessage | undefined;

  constructor(key: string, request: SipRequest, context: TransactionContext, transport: Transport) {
    super(key, request, context, transport, "trying");
  }

  /** The last provisional response sent while Proceeding; undefined once a final one was sent. */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** Sends a response from the TU. */
  respond(response: SipResponse): void {
    if (response.status < 100 || response.status > 699) throw new RangeError(`status ${response.status}`);
    if (this.state !== "trying" && this.state !== "proceeding") {
      throw new InvalidStateError(`respond() in state ${this.state}`);
    }
    if (response.status < 200) {
      this.#lastResponse = response;
      this.setState("proceeding");
      this.send(response);
      return;
    }
    this.setState("completed");
    this.releaseMessages();
    this.send(response);
    if (!this.terminated) {
      this.wait("J", this.transport.reliable ? 0 : 64 * this.config.t1);
    }
    // Serialized only when Timer J runs: over a reliable transport the transaction is over.
    if (!this.terminated) this.#final = new RetainedMessage(response);
  }

  /** A retransmission of the request, matched by the layer (RFC 3261 §17.2.3). */
  receiveRequest(_request: SipRequest): ServerRequestOutcome {
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
    // §17.2.4, Figure 8: Proceeding/Completed → Terminated, inform the TU.
    if (this.state === "terminated") return;
    this.events().emit("transport.error", error);
    this.setState("terminated");
  }
}
