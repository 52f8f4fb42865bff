/**
 * A request inside a call's dialog: its CSeq is checked (RFC 3261 §12.2.2), BYE ends the call, and
 * any other request (INFO, re-INVITE, UPDATE, MESSAGE, NOTIFY, ...) of a confirmed call crosses to
 * the other leg as a new request of that leg's dialog; its final response comes back the same way.
 * SDP in a re-INVITE/UPDATE (hold, resume) goes through the media plane in both directions; an
 * offer it refuses (without the call's codec: no transcoding) gets 488 and a Warning.
 */
import {
  createResponse,
  type HeaderInput,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type TransactionLayer,
  type Transport,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import { contentTypeOf, isSdp, passThroughHeaders, text, utf8 } from "./sip-helpers.js";
import type { Call } from "./call.js";
import type { CallRecorder } from "./call-recorder.js";
import { infoDigit } from "./dtmf-info.js";
import type { Leg } from "./leg.js";
import { MediaRefusedError, type MediaPort } from "./media-port.js";
import type { Ending } from "./ports.js";
import { mediaRefusal, warningValue } from "./sdp-codecs.js";

export interface RelayDeps {
  layer: TransactionLayer;
  recorder: CallRecorder;
  media: MediaPort;
  transportFor(flow: Flow): Transport;
  /** Ends the call (the B2BUA's one place a call ends). */
  finish(call: Call, ending: Ending): void;
}

type Reply = (
  status: number,
  reason?: string,
  from?: SipResponse,
  body?: Uint8Array,
  headers?: HeaderInput[],
) => void;

/** `req` arrived on `leg` of the live `call`: answered on `tx`, here or once the other leg answers. */
export function inDialogRequest(
  d: RelayDeps,
  call: Call,
  leg: Leg,
  req: SipRequest,
  tx: ServerTransaction,
): void {
  d.recorder.message(call.record, leg.id, "received", req);
  const reply: Reply = (status, reason, from, body, headers = []) => {
    const res = createResponse(req, status, reason, {
      headers: [["Contact", leg.contact], ...(from ? passThroughHeaders(from) : []), ...headers],
      ...(from && from.body.length > 0 && { body: body ?? from.body, ...contentTypeOf(from) }),
    });
    d.recorder.message(call.record, leg.id, "sent", res);
    try {
      tx.respond(res);
    } catch (err) {
      // The transaction ended meanwhile (shutdown, a late relayed answer): nothing to answer.
      call.log.warn({ method: req.method, status, err: (err as Error).message }, "response not sent");
    }
  };
  // RFC 3261 §12.2.2: out-of-order CSeq → 500; a target refresh updates the remote target.
  const checked = leg.dialog?.receiveRequest(req);
  if (checked && !checked.ok) return reply(checked.status, checked.reason);
  if (req.method === "BYE") {
    reply(200, "OK");
    const endReason = leg === call.a ? "caller-hangup" : "callee-hangup";
    return d.finish(call, { status: 487, reason: "Request Terminated", endReason, by: leg });
  }
  const other = call.other(leg);
  if (!other || other.state !== "confirmed" || call.ended)
    return reply(481, "Call/Transaction Does Not Exist");
  const digit = req.method === "INFO" ? infoDigit(req) : undefined;
  if (digit) d.recorder.dtmf(call.record, { legId: leg.id, ...digit, method: "info" });
  relay(d, call, leg, other, req, reply).catch((err: unknown) => {
    call.log.error({ err, method: req.method }, "in-dialog request not relayed");
    reply(500, "Server Internal Error");
  });
}

async function relay(
  d: RelayDeps,
  call: Call,
  leg: Leg,
  other: Leg,
  req: SipRequest,
  reply: Reply,
): Promise<void> {
  const id = call.record.id;
  let offer = req.body;
  if (isSdp(req)) {
    try {
      offer = utf8(await d.media.offer(id, leg, other, text(req.body)));
    } catch (err) {
      if (!(err instanceof MediaRefusedError)) throw err;
      // RFC 3261 §14.2: the new offer is refused, the session goes on as it was.
      const refusal = mediaRefusal(err, leg === call.a ? "caller" : "callee");
      return reply(488, "Not Acceptable Here", undefined, undefined, [["Warning", warningValue(refusal)]]);
    }
  }
  const relayed = other.request(req.method, {
    headers: passThroughHeaders(req),
    body: offer,
    ...contentTypeOf(req),
  });
  if (!relayed) return reply(481, "Call/Transaction Does Not Exist");
  const ctx = d.layer.createClientTransaction(relayed, d.transportFor(other.flow));
  d.recorder.message(call.record, other.id, "sent", relayed);
  let answered = false;
  ctx.on("response.received", (res: SipResponse) => {
    d.recorder.message(call.record, other.id, "received", res);
    // Provisional responses stay on their leg; a retransmitted 2xx is ACKed by the caller's ACK.
    if (res.status < 200 || answered) return;
    answered = true;
    const ok = res.status < 300;
    // A 2xx to a target refresh updates the remote target (RFC 3261 §12.2.1.2).
    other.dialog?.receiveResponse(res);
    if (req.method === "INVITE" && ok) call.pendingAck = { from: leg, to: other };
    if (!ok || !isSdp(res)) return reply(res.status, res.reason, res);
    d.media.answer(id, other, leg, text(res.body)).then(
      (sdp) => reply(res.status, res.reason, res, utf8(sdp)),
      (err: unknown) => {
        call.log.error({ err }, "answer not usable");
        reply(res.status, res.reason, res);
      },
    );
  });
  ctx.on("transaction.timeout", () => !answered && ((answered = true), reply(408, "Request Timeout")));
  ctx.on("transport.error", () => !answered && ((answered = true), reply(503, "Service Unavailable")));
  ctx.start();
}
