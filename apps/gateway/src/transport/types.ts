/** Where a message came from or goes to. The transport layer is the only code that owns sockets. */
export type TransportName = "udp" | "tcp" | "ws" | "wss";

export interface Flow {
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set for connection-oriented transports (TCP, WS): the connection this flow arrived on. */
  readonly connectionId?: string;
}

/** One framed SIP message as bytes, or a framing failure on a stream (the connection is closed). */
export interface TransportEvents {
  message: (data: Uint8Array, flow: Flow) => void;
  /** A connection closed (TCP or WebSocket); bindings and calls on it must go. */
  closed: (flow: Flow) => void;
}

/** Frames a byte stream into SIP messages (RFC 3261 §18.3); supplied by sip-core. */
export interface StreamFramer {
  push(chunk: Uint8Array): { messages: Uint8Array[]; error?: string };
  /** Bytes buffered of a message not yet complete (for header-read timeouts). */
  readonly pending: number;
}

export class TransportError extends Error {
  constructor(
    readonly code: "TRANSPORT_NO_CONNECTION" | "TRANSPORT_SEND_FAILED" | "TRANSPORT_CLOSED",
    message: string,
  ) {
    super(message);
  }
}

export function flowKey(flow: Flow): string {
  return `${flow.transport}:${flow.remoteAddress}:${flow.remotePort}`;
}
