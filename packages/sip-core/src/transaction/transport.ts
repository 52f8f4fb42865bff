import type { SipMessage } from "../message/types.js";

/**
 * What a transaction needs from the transport layer (RFC 3261 §18): a way to send, and whether the
 * transport is reliable. Over reliable transports (TCP, TLS, WebSocket) nothing is retransmitted and
 * the wait timers D, I, J and K are zero (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).
 * `send` may throw or reject: the transaction reports a transport error to its TU (§17.1.4, §17.2.4).
 */
export interface Transport {
  readonly reliable: boolean;
  send(message: SipMessage): void | Promise<void>;
}
