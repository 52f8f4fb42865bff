import type { ParseMessageResult } from "@hookline/sip-core";

/** Where a message came from or goes to. The transport layer is the only code that owns sockets. */
export type TransportName = "udp" | "tcp" | "tls" | "ws" | "wss";

export interface Flow {
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set for connection-oriented transports (TCP, TLS, WS): the connection this flow arrived on. */
  readonly connectionId?: string;
  /**
   * TLS only: the host name a new connection asks for (SNI) and verifies the peer's certificate
   * against (RFC 5922 §7.3); without it, the certificate must name `remoteAddress`.
   */
  readonly serverName?: string;
}

/** Every transport hands up parse results: framing and parsing are sip-core's (RFC 3261 §18.3). */
export type OnMessage = (result: ParseMessageResult, flow: Flow) => void;
/** A connection closed (TCP or WebSocket); bindings and calls on it must go. */
export type OnClosed = (flow: Flow) => void;

export class TransportError extends Error {
  constructor(
    readonly code:
      | "TRANSPORT_NO_CONNECTION"
      | "TRANSPORT_SEND_FAILED"
      | "TRANSPORT_CLOSED"
      /** The TLS handshake failed, or the peer's certificate did not verify (RFC 5922 §7.3). */
      | "TRANSPORT_TLS_FAILED",
    message: string,
  ) {
    super(message);
  }
}

export function flowKey(flow: Flow): string {
  return `${flow.transport}:${flow.remoteAddress}:${flow.remotePort}`;
}
