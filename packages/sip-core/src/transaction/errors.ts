/** Stable codes for programming errors in the transaction and dialog layers. */
export type SipStateErrorCode =
  "SIP_ERR_INVALID_STATE" | "SIP_ERR_DUPLICATE_TRANSACTION" | "SIP_ERR_BAD_MESSAGE";

/**
 * Thrown when the TU asks for something the current state forbids, e.g. a final response on a
 * completed server transaction (mediasoup's `InvalidStateError`). Wire input never throws.
 */
export class InvalidStateError extends Error {
  override readonly name = "InvalidStateError";
  readonly code: SipStateErrorCode;

  constructor(message: string, code: SipStateErrorCode = "SIP_ERR_INVALID_STATE") {
    super(message);
    this.code = code;
  }
}

/** A failure to hand a message to the transport (RFC 3261 §17.1.4, §17.2.4); `cause` holds the original. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly code = "SIP_ERR_TRANSPORT";

  constructor(cause: unknown) {
    super(`transport error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
