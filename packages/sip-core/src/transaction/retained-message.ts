import { parseMessage } from "../message/parse.js";
import type { ParseMessageResult } from "../message/parse.js";
import { serializeMessage } from "../message/serialize.js";
import type { SipMessage } from "../message/types.js";

/**
 * A message a finished transaction may have to send again, kept as its serialized bytes only: the
 * final response a server transaction repeats for a retransmitted request (RFC 3261 §17.2.1,
 * §17.2.2) and the ACK an INVITE client transaction repeats for a retransmitted non-2xx
 * (§17.1.1.2). Nothing of the parsed message stays alive for the wait timers (up to 64·T1): no
 * header objects, no typed-header caches, no request they were copied from, no datagram their
 * strings were sliced from. The bytes are held as one flat string, one character per byte
 * (latin1), so they live on the heap without an ArrayBuffer each.
 *
 * Retransmitting parses the bytes again (framing only) for the transport, which serializes them
 * back to the same bytes; retransmissions are rare next to the transactions that end without one.
 */
export class RetainedMessage {
  readonly #bytes: string;

  constructor(message: SipMessage) {
    const bytes = serializeMessage(message);
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }

  /** Size on the wire. */
  get byteLength(): number {
    return this.#bytes.length;
  }

  /** The bytes as first sent. */
  bytes(): Uint8Array {
    return Buffer.from(this.#bytes, "latin1");
  }

  /**
   * The message again, framed from the bytes (no limits: they are our own), for the transport;
   * an error only if the TU built a message the framing parser cannot read back.
   */
  message(): ParseMessageResult {
    const bytes = this.bytes();
    const length = bytes.byteLength;
    return parseMessage(bytes, {
      strict: false,
      maxMessageSize: length,
      maxHeaders: length,
      maxLineLength: length,
    });
  }
}
