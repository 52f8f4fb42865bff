/**
 * Matching keys. Client side, RFC 3261 §17.1.3: top-Via branch plus CSeq method. Server side,
 * §17.2.3: a magic-cookie branch plus sent-by plus method (ACK counts as INVITE); for requests from
 * RFC 2543 implementations (no magic cookie) the fallback compares Request-URI, tags, Call-ID, CSeq
 * and the whole top Via.
 */
import { BRANCH_MAGIC_COOKIE } from "../builders/ids.js";
import { getCallId, getCSeq, getFrom, getTo, getTopVia } from "../headers/typed.js";
import type { Via } from "../headers/via.js";
import { serializeVia } from "../headers/via.js";
import type { SipRequest, SipResponse } from "../message/types.js";

/** sent-by as compared in §17.2.3: host (case-insensitive) and port as written. */
function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ""}`;
}

export type KeyResult = { ok: true; key: string } | { ok: false; reason: string };

/** Key of the client transaction a message belongs to (§17.1.3). */
export function clientKey(message: SipRequest | SipResponse): KeyResult {
  const via = getTopVia(message);
  if (via?.branch === undefined) return { ok: false, reason: "no branch in the top Via" };
  const cseq = getCSeq(message);
  if (cseq === undefined) return { ok: false, reason: "missing or malformed CSeq" };
  return { ok: true, key: `c ${via.branch} ${cseq.method}` };
}

/** Server key of a request; `asMethod` looks up another transaction of the same request (CANCEL → INVITE, §9.2). */
export function serverKey(request: SipRequest, asMethod?: string): KeyResult {
  const via = getTopVia(request);
  if (via === undefined) return { ok: false, reason: "missing or malformed Via" };
  const cseq = getCSeq(request);
  if (cseq === undefined) return { ok: false, reason: "missing or malformed CSeq" };
  const method = asMethod ?? (request.method === "ACK" ? "INVITE" : request.method);
  if (via.branch !== undefined && via.branch.startsWith(BRANCH_MAGIC_COOKIE)) {
    return { ok: true, key: `s ${via.branch} ${sentBy(via)} ${method}` };
  }
  const callId = getCallId(request);
  if (callId === undefined) return { ok: false, reason: "missing Call-ID" };
  if (request.method === "ACK" && asMethod === undefined) {
    // An ACK carries the To tag of the response, which the INVITE did not have (§17.2.3).
    return {
      ok: true,
      key: rfc2543AckKey(request.uri, getFrom(request)?.tag, callId, cseq.seq, serializeVia(via)),
    };
  }
  const seqMethod = asMethod ?? cseq.method;
  return {
    ok: true,
    key: `o ${request.uri} ${getTo(request)?.tag ?? ""} ${getFrom(request)?.tag ?? ""} ${callId} ${cseq.seq} ${seqMethod} ${serializeVia(via)}`,
  };
}

/** For an RFC 2543 INVITE: the key its ACK will be looked up under (the To tag is checked apart). */
export function rfc2543AckKeyOfInvite(invite: SipRequest): string | undefined {
  const via = getTopVia(invite);
  const callId = getCallId(invite);
  const cseq = getCSeq(invite);
  if (via === undefined || callId === undefined || cseq === undefined) return undefined;
  return rfc2543AckKey(invite.uri, getFrom(invite)?.tag, callId, cseq.seq, serializeVia(via));
}

function rfc2543AckKey(
  uri: string,
  from: string | undefined,
  callId: string,
  seq: number,
  via: string,
): string {
  return `a ${uri} ${from ?? ""} ${callId} ${seq} ${via}`;
}

/** True when the request's top Via carries the RFC 3261 magic cookie (§8.1.1.7). */
export function hasMagicCookie(request: SipRequest): boolean {
  return getTopVia(request)?.branch?.startsWith(BRANCH_MAGIC_COOKIE) === true;
}
