import { createAckForNonSuccess } from "../builders/builders.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { InvalidStateError } from "./errors.js";
import type { TransportError } from "./errors.js";
import { RetainedMessage } from "./retained-message.js";
import { TransactionBase } from "./transaction-base.js";
import type { Transport } from "./transport.js";
import type { TransactionContext, TransactionEvents } from "./transaction-base.js";

/** RFC 3261 §17.1.1 Figure 5 with the Accepted state of RFC 6026 (Figure 5 replaced). */
export type InviteClientState = "idle" | "calling" | "proceeding" | "accepted" | "completed" | "terminated";

export interface ClientTransactionEvents<S extends string> extends TransactionEvents<S> {
  /** A response for the TU: provisional, final, and (INVITE, Accepted) 2xx retransmissions. */
  "response.received": [response: SipResponse];
}

/**
 * INVITE client transaction. Retransmits on Timer A (T1, doubling, unreliable transports only),
 * gives up on Timer B (64·T1) while Calling, acknowledges non-2xx finals itself (§17.1.1.3) and
 * absorbs their retransmissions during Timer D, and stays Accepted for Timer M (64·T1) after a 2xx
 * so that 2xx retransmissions from other forks still reach the TU (RFC 6026). Once Accepted it
 * holds no message; in Completed only the serialized ACK.
 */
export class InviteClientTransaction extends TransactionBase<
  InviteClientState,
  ClientTransactionEvents<InviteClientState>
> {
  /** The ACK for a non-2xx final response, serialized, while Completed (§17.1.1.2). */
  #ack: RetainedMessage | undefined;

  constructor(key: string, request: SipRequest, context: TransactionContext, transport: Transport) {
    super(key, request, context, transport, "idle");
  }

  /** Sends the INVITE and starts Timers A and B (RFC 3261 §17.1.1.2). */
  start(): void {
    const request = this.request;
    if (this.state !== "idle" || request === undefined)
      throw new InvalidStateError(`start() in state ${this.state}`);
    this.setState("calling");
    const { t1 } = this.config;
    if (!this.transport.reliable) this.#armTimerA(t1);
    this.startTimer("B", 64 * t1, () => {
      if (this.state === "calling") this.timeout();
    });
    this.send(request);
  }

  #armTimerA(interval: number): void {
    this.startTimer("A", interval, () => {
      const request = this.request;
      if (this.state !== "calling" || request === undefined) return;
      this.send(request);
      this.#armTimerA(interval * 2);
    });
  }

  /** A response matched to this transaction by the layer (RFC 3261 §17.1.3). */
  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case "calling":
      case "proceeding":
        if (status < 200) {
          this.stopTimer("A");
          this.stopTimer("B");
          this.setState("proceeding");
          this.emit("response.received", response);
        } else if (status < 300) {
          // RFC 6026: the 2xx goes to the TU, which sends the ACK itself (§13.2.2.4). Accepted
          // only passes further 2xx up: it needs no message, and it cannot time out any more.
          this.stopTimer("A");
          this.stopTimer("B");
          this.setState("accepted");
          this.releaseMessages();
          this.removeListeners("transaction.timeout");
          this.wait("M", 64 * this.config.t1);
          this.emit("response.received", response);
        } else {
          const request = this.request;
          if (request === undefined) return;
          this.stopTimer("A");
          this.stopTimer("B");
          const ack = createAckForNonSuccess(request, response);
          this.setState("completed");
          this.releaseMessages();
          this.send(ack);
          this.emit("response.received", response);
          // Completed only ACKs retransmissions of the final (§17.1.1.2): nothing more for the TU
          // but a failed send.
          this.removeListeners("response.received", "transaction.timeout");
          this.wait("D", this.transport.reliable ? 0 : this.config.timerD);
          if (!this.terminated) this.#ack = new RetainedMessage(ack);
        }
        return;
      case "accepted":
        if (status >= 200 && status < 300) this.emit("response.received", response);
        return;
      case "completed":
        // Retransmitted final response: ACK again, do not bother the TU (§17.1.1.2).
        if (status >= 300) this.resend(this.#ack);
        return;
      default:
        return;
    }
  }

  protected override releaseMessages(): void {
    super.releaseMessages();
    this.#ack = undefined;
  }

  protected onTransportError(error: TransportError): void {
    // §17.1.4, Figure 5: a failed send in Calling or Completed ends the transaction. A late
    // rejection seen in Proceeding/Accepted is only reported: a response already came back.
    if (this.state === "idle") return;
    this.events().emit("transport.error", error);
    if (this.state === "calling" || this.state === "completed") this.setState("terminated");
  }
}
