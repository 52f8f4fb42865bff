import type { SipRequest, SipResponse } from "../message/types.js";
import { InvalidStateError } from "./errors.js";
import type { TransportError } from "./errors.js";
import type { ClientTransactionEvents } from "./invite-client-transaction.js";
import { TransactionBase } from "./transaction-base.js";
import type { Transport } from "./transport.js";
import type { TransactionContext } from "./transaction-base.js";

/** RFC 3261 §17.1.2 Figure 6. */
export type NonInviteClientState = "idle" | "trying" | "proceeding" | "completed" | "terminated";

/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2). Timer E retransmits at T1, doubling up to T2
 * (and every T2 once Proceeding), over unreliable transports only; Timer F (64·T1) times out;
 * Timer K (T4, zero on reliable transports) absorbs retransmitted finals in Completed, holding no
 * message and no TU listener but `state.changed` and `transaction.terminated`.
 */
export class NonInviteClientTransaction extends TransactionBase<
  NonInviteClientState,
  ClientTransactionEvents<NonInviteClientState>
> {
  constructor(key: string, request: SipRequest, context: TransactionContext, transport: Transport) {
    super(key, request, context, transport, "idle");
  }

  /** Sends the request and starts Timers E and F (RFC 3261 §17.1.2.2). */
  start(): void {
    const request = this.request;
    if (this.state !== "idle" || request === undefined)
      throw new InvalidStateError(`start() in state ${this.state}`);
    this.setState("trying");
    const { t1 } = this.config;
    if (!this.transport.reliable) this.#armTimerE(t1);
    this.startTimer("F", 64 * t1, () => {
      if (this.state === "trying" || this.state === "proceeding") this.timeout();
    });
    this.send(request);
  }

  #armTimerE(interval: number): void {
    this.startTimer("E", interval, () => {
      const request = this.request;
      if ((this.state !== "trying" && this.state !== "proceeding") || request === undefined) return;
      this.send(request);
      const { t2 } = this.config;
      this.#armTimerE(this.state === "proceeding" ? t2 : Math.min(2 * interval, t2));
    });
  }

  /** A response matched to this transaction by the layer (RFC 3261 §17.1.3). */
  receiveResponse(response: SipResponse): void {
    if (this.state !== "trying" && this.state !== "proceeding") return; // Completed absorbs.
    if (response.status < 200) {
      this.setState("proceeding");
      this.emit("response.received", response);
      return;
    }
    this.stopTimer("E");
    this.stopTimer("F");
    this.setState("completed");
    this.releaseMessages();
    this.emit("response.received", response);
    this.removeListeners("response.received", "transaction.timeout", "transport.error");
    this.wait("K", this.transport.reliable ? 0 : this.config.t4);
  }

  protected onTransportError(error: TransportError): void {
    // §17.1.4, Figure 6: Trying/Proceeding → Terminated, inform the TU.
    if (this.state !== "trying" && this.state !== "proceeding") return;
    this.events().emit("transport.error", error);
    this.setState("terminated");
  }
}
