/**
 * Dialog identifiers (RFC 3261 §12): Call-ID, local tag and remote tag, each side seeing the tags
 * the other way round.
 */
import { getCallId, getFrom, getTo } from "../headers/typed.js";
import type { SipRequest, SipResponse } from "../message/types.js";

export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

/** A string usable as a map key for a dialog id. */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/**
 * The id of the dialog an incoming request belongs to, as seen by its receiver (RFC 3261 §12.2.2:
 * local tag = To tag, remote tag = From tag); undefined outside a dialog (no To tag).
 */
export function dialogIdOfIncomingRequest(request: SipRequest): DialogId | undefined {
  const callId = getCallId(request);
  const localTag = getTo(request)?.tag;
  const remoteTag = getFrom(request)?.tag;
  if (callId === undefined || localTag === undefined || remoteTag === undefined) return undefined;
  return { callId, localTag, remoteTag };
}

/**
 * The id of the dialog a response creates or belongs to, as seen by the UAC that sent the request
 * (RFC 3261 §12.1.2: local tag = From tag, remote tag = To tag); undefined without a To tag.
 */
export function dialogIdOfResponse(response: SipResponse): DialogId | undefined {
  const callId = getCallId(response);
  const localTag = getFrom(response)?.tag;
  const remoteTag = getTo(response)?.tag;
  if (callId === undefined || localTag === undefined || remoteTag === undefined) return undefined;
  return { callId, localTag, remoteTag };
}
