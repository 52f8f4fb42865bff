import {
  createAckForNonSuccess,
  createResponse,
  getCallId,
  getHeader,
  getTo,
  parseMessage,
  type SipRequest,
} from "@hookline/sip-core";
import { describe, expect, it } from "vitest";
import type { B2bua } from "./b2bua.js";
import { MediaRefusedError, passThroughMedia, type MediaPort } from "./media-port.js";
import { DOMAIN } from "../registrar/test-support.js";
import {
  caller,
  device,
  setContacts,
  OFFER,
  temp,
  layer,
  clock,
  sent,
  recorders,
  b2bua,
  fromCaller,
  call,
  cancelFromCaller,
  sentToCallee,
  settle,
  calleeResponds,
  finalToCaller,
} from "./b2bua-test-support.js";

describe("B2BUA: a call that fails inside the gateway is ended, not kept", () => {
  it("a media-plane failure that is not a refusal answers 500 and leaves no active call", async () => {
    const media: MediaPort = {
      ...passThroughMedia,
      offer: () => Promise.reject(new Error("mediasoup: no more available ports")),
    };
    const b = b2bua(media);
    await call(b);
    expect(finalToCaller()).toEqual([500]);
    expect(b.activeCalls).toBe(0);
  });

  it("an onNewCall hook that throws answers 500 and leaves no active call", async () => {
    const b = b2bua(passThroughMedia, () => Promise.reject(new Error("database is locked")));
    const req = await call(b);
    expect(finalToCaller()).toEqual([500]);
    expect(b.activeCalls).toBe(0);
    // The caller ACKs the 500 (TCP: the transaction ends at once); nothing of the call is kept.
    const res = sent.find((x) => x.message.kind === "response" && x.message.status === 500)?.message;
    if (res?.kind !== "response") throw new Error("no 500");
    layer.receiveRequest(createAckForNonSuccess(req, res), fromCaller);
    expect(layer.size.server).toBe(0);
    expect(b.pendingInvites).toBe(0);
  });
});

describe("B2BUA: SDP the media plane refuses gets 488 with a Warning (RFC 3261 §21.4.26, §20.43)", () => {
  const warningToCaller = () =>
    sent.flatMap(({ message: m, flow }) =>
      flow === caller && m.kind === "response" && m.status === 488 ? [getHeader(m, "warning")] : [],
    );

  it("a media refusal toward every contact answers 488 with the refusal as Warning and reason", async () => {
    const media: MediaPort = {
      ...passThroughMedia,
      offer: () => Promise.reject(new MediaRefusedError("SDES keys", 302)),
    };
    const b = b2bua(media);
    await call(b);
    expect(finalToCaller()).toEqual([488]);
    expect(warningToCaller()).toEqual(['302 hookline "SDES keys"']);
    expect(callRow()).toMatchObject({ state: "failed", end_status: 488, end_reason: "SDES keys" });
    expect(b.activeCalls).toBe(0);
  });

  it("an offer with no codec the gateway relays is refused before routing: nobody rings", async () => {
    const codecs = { offered: ["G729/8000"], other: ["PCMU/8000"], otherIs: "gateway" as const };
    const b = b2bua({ ...passThroughMedia, refuseOffer: () => new MediaRefusedError("x", 305, codecs) });
    await call(b);
    const text = "no common codec: caller offered G729/8000; the gateway relays PCMU/8000 (no transcoding)";
    expect(finalToCaller()).toEqual([488]);
    expect(warningToCaller()).toEqual([`305 hookline "${text}"`]);
    expect(sentToCallee("INVITE")).toHaveLength(0);
    expect(callRow()).toMatchObject({ state: "failed", end_status: 488, end_reason: text });
  });

  it("a callee answering a codec the caller did not offer is ACKed and BYEd; the caller gets 488", async () => {
    const codecs = { offered: ["PCMU/8000"], other: ["G729/8000"], otherIs: "answer" as const };
    const media: MediaPort = {
      ...passThroughMedia,
      answer: () => Promise.reject(new MediaRefusedError("x", 305, codecs)),
    };
    const b = b2bua(media);
    await call(b);
    const inv = sentToCallee("INVITE")[0]?.message;
    if (inv?.kind !== "request") throw new Error("the callee got no INVITE");
    const answer =
      "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 18\r\n";
    const ok = createResponse(inv, 200, "OK", {
      toTag: "callee0",
      headers: [["Contact", "<sip:bob@127.0.0.1:5080;transport=tcp>"]],
      body: answer,
      contentType: "application/sdp",
    });
    layer.receiveResponse(ok);
    await settle();
    expect(sentToCallee("ACK")).toHaveLength(1);
    expect(sentToCallee("BYE")).toHaveLength(1);
    // The 2xx again (its ACK lost): ACKed again, and the dial is not failed twice.
    layer.receiveResponse(ok);
    await settle();
    expect(sentToCallee("ACK")).toHaveLength(2);
    const text = "no common codec: caller offered PCMU/8000; callee answered G729/8000";
    expect(finalToCaller()).toEqual([488]);
    expect(warningToCaller()).toEqual([`305 hookline "${text}"`]);
    expect(callRow()).toMatchObject({ state: "failed", end_status: 488, end_reason: text });
    expect(b.activeCalls).toBe(0);
  });

  it("a re-INVITE offering without the call's codec gets 488 and a Warning; the call goes on", async () => {
    const codecs = { offered: ["PCMU/8000"], other: ["PCMA/8000"], otherIs: "call" as const };
    let offers = 0;
    const b = b2bua({
      ...passThroughMedia,
      offer: (_c, _f, _t, sdp) =>
        ++offers === 1 ? Promise.resolve(sdp) : Promise.reject(new MediaRefusedError("x", 305, codecs)),
    });
    const req = await call(b);
    const inv = sentToCallee("INVITE")[0]?.message;
    if (inv?.kind !== "request") throw new Error("the callee got no INVITE");
    const contact: [string, string][] = [["Contact", "<sip:bob@127.0.0.1:5080;transport=tcp>"]];
    layer.receiveResponse(
      createResponse(inv, 200, "OK", {
        toTag: "callee0",
        headers: contact,
        body: OFFER,
        contentType: "application/sdp",
      }),
    );
    await settle();
    const ok = sent.find(
      (x) => x.flow === caller && x.message.kind === "response" && x.message.status === 200,
    );
    const toTag = ok && getTo(ok.message)?.tag;
    const reinvite = parseMessage(
      Buffer.from(
        `INVITE sip:bob@127.0.0.1:5060;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-re\r\n` +
          `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a1\r\nTo: <sip:bob@${DOMAIN}>;tag=${toTag}\r\n` +
          `Call-ID: ${getCallId(req)}\r\nCSeq: 2 INVITE\r\nContact: <sip:alice@127.0.0.1:5070;transport=tcp>\r\n` +
          `Content-Type: application/sdp\r\nContent-Length: ${OFFER.length}\r\n\r\n${OFFER}`,
      ),
    );
    if (!reinvite.ok || reinvite.message.kind !== "request") throw new Error("re-INVITE does not parse");
    const result = layer.receiveRequest(reinvite.message, fromCaller);
    if (result.kind !== "new") throw new Error("no re-INVITE transaction");
    b.onInDialog(reinvite.message, result.transaction);
    await settle();
    expect(warningToCaller()).toEqual([
      '305 hookline "no common codec: caller offered PCMU/8000; the call uses PCMA/8000"',
    ]);
    expect(sentToCallee("INVITE")).toHaveLength(1);
    expect(sentToCallee("BYE")).toHaveLength(0);
    expect(b.activeCalls).toBe(1);
  });

  it("a late-offer callee whose 2xx offers no codec the gateway relays gets a declining ACK and BYE", async () => {
    const codecs = { offered: ["G729/8000"], other: ["PCMU/8000"], otherIs: "gateway" as const };
    const b = b2bua({
      ...passThroughMedia,
      offer: () => Promise.reject(new MediaRefusedError("x", 305, codecs)),
    });
    await call(b, "");
    const inv = sentToCallee("INVITE")[0]?.message;
    if (inv?.kind !== "request") throw new Error("the callee got no INVITE");
    expect(inv.body.length).toBe(0);
    layer.receiveResponse(
      createResponse(inv, 200, "OK", {
        toTag: "callee0",
        headers: [["Contact", "<sip:bob@127.0.0.1:5080;transport=tcp>"]],
        body: OFFER.replace("RTP/AVP 0", "RTP/AVP 18"),
        contentType: "application/sdp",
      }),
    );
    await settle();
    const ack = sentToCallee("ACK")[0]?.message;
    // RFC 3261 §13.2.2.4: a valid answer in the ACK (every stream declined), then BYE.
    expect(ack && Buffer.from(ack.body).toString()).toMatch(/^m=audio 0 RTP\/AVP 18\r$/m);
    expect(sentToCallee("BYE")).toHaveLength(1);
    expect(finalToCaller()).toEqual([488]);
    expect(warningToCaller()).toEqual([
      '305 hookline "no common codec: callee offered G729/8000; the gateway relays PCMU/8000 (no transcoding)"',
    ]);
  });
});

describe("B2BUA: CANCEL reaches a callee that has only sent 100 Trying, or nothing yet (RFC 3261 §9.1)", () => {
  it("a CANCEL after the callee's 100 Trying is sent to the callee at once", async () => {
    const b = b2bua(passThroughMedia);
    const req = await call(b);
    await calleeResponds(100);
    cancelFromCaller(b, req);
    expect(finalToCaller()).toEqual([487]);
    expect(sentToCallee("CANCEL")).toHaveLength(1);
  });

  it("a CANCEL before any provisional is sent when the callee's 180 arrives, once", async () => {
    const b = b2bua(passThroughMedia);
    const req = await call(b);
    cancelFromCaller(b, req);
    expect(sentToCallee("CANCEL")).toHaveLength(0);
    await calleeResponds(180);
    await calleeResponds(180);
    expect(sentToCallee("CANCEL")).toHaveLength(1);
    expect(finalToCaller()).toEqual([487]);
  });
});

/** An INVITE to `user` instead of bob. */
async function callUser(b: B2bua, user: string): Promise<SipRequest> {
  const r = parseMessage(
    Buffer.from(
      `INVITE sip:${user}@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-${user}${Math.random().toString(36).slice(2)}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a1\r\nTo: <sip:${user}@${DOMAIN}>\r\n` +
        `Call-ID: ${Math.random().toString(36).slice(2)}@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
    ),
  );
  if (!r.ok || r.message.kind !== "request") throw new Error("test INVITE does not parse");
  const result = layer.receiveRequest(r.message, fromCaller);
  if (result.kind !== "new") throw new Error("no INVITE transaction");
  void b.onInvite(r.message, caller, result.transaction as Parameters<B2bua["onInvite"]>[2]);
  await settle();
  return r.message;
}

/** The call row as the API would show it. */
function callRow(): { state: string; end_status: number | null; end_reason: string | null } {
  for (const r of recorders) void r.flush(); // synchronous on SQLite
  return temp.database.sqlite.prepare("select state, end_status, end_reason from calls").get() as never;
}

describe("B2BUA forking: every contact of the callee rings (RFC 3261 §16.6, §16.7)", () => {
  it("two contacts both get the INVITE; the first 2xx wins and the other is CANCELled", async () => {
    setContacts(2);
    const b = b2bua(passThroughMedia);
    await call(b);
    expect(sentToCallee("INVITE", 0)).toHaveLength(1);
    expect(sentToCallee("INVITE", 1)).toHaveLength(1);
    await calleeResponds(180, 0);
    await calleeResponds(180, 1);
    await calleeResponds(200, 1);
    expect(finalToCaller()).toEqual([200]);
    expect(sentToCallee("CANCEL", 0)).toHaveLength(1);
    expect(sentToCallee("CANCEL", 1)).toHaveLength(0);
  });

  it("three contacts: the one that answers first is bridged, the two others are CANCELled", async () => {
    setContacts(3);
    const b = b2bua(passThroughMedia);
    await call(b);
    for (const i of [0, 1, 2]) await calleeResponds(180, i);
    await calleeResponds(200, 2);
    expect(finalToCaller()).toEqual([200]);
    expect([0, 1, 2].map((i) => sentToCallee("CANCEL", i).length)).toEqual([1, 1, 0]);
    expect(b.activeCalls).toBe(1);
  });

  it("a 2xx that arrives after another contact won gets ACK, then BYE", async () => {
    setContacts(2);
    const b = b2bua(passThroughMedia);
    await call(b);
    await calleeResponds(180, 0);
    await calleeResponds(180, 1);
    await calleeResponds(200, 0);
    await calleeResponds(200, 1);
    expect(finalToCaller()).toEqual([200]);
    const toLoser = sent
      .filter((s) => s.flow === device(1) && s.message.kind === "request")
      .map((s) => (s.message as SipRequest).method);
    expect(toLoser).toEqual(["INVITE", "CANCEL", "ACK", "BYE"]);
  });

  it.each([
    [[480, 486, 603], 603],
    [[486, 404, 480], 486],
    [[404, 480, 500], 404],
  ])(
    "when every contact fails (%j), the caller gets %i: 6xx beats 486 beats the lowest",
    async (statuses, best) => {
      setContacts(3);
      const b = b2bua(passThroughMedia);
      await call(b);
      for (const [i, status] of statuses.entries()) await calleeResponds(status, i);
      expect(finalToCaller()).toEqual([best]);
      expect(b.activeCalls).toBe(0);
      expect(callRow()).toMatchObject({ state: "failed", end_status: best });
    },
  );

  it("the caller's CANCEL reaches every ringing branch, and the call is recorded as cancelled", async () => {
    setContacts(3);
    const b = b2bua(passThroughMedia);
    const req = await call(b);
    for (const i of [0, 1, 2]) await calleeResponds(180, i);
    cancelFromCaller(b, req);
    expect([0, 1, 2].map((i) => sentToCallee("CANCEL", i).length)).toEqual([1, 1, 1]);
    expect(finalToCaller()).toEqual([487]);
    expect(callRow()).toMatchObject({ state: "failed", end_reason: "cancelled" });
  });

  it("no answer within the ring timeout (fake time): every branch is CANCELled and the caller gets 480", async () => {
    setContacts(2);
    const b = b2bua(passThroughMedia);
    await call(b);
    await calleeResponds(180, 0);
    await calleeResponds(180, 1);
    clock.advance(59_999);
    expect(sentToCallee("CANCEL", 0)).toHaveLength(0);
    clock.advance(1);
    expect([0, 1].map((i) => sentToCallee("CANCEL", i).length)).toEqual([1, 1]);
    await calleeResponds(487, 0);
    await calleeResponds(487, 1);
    expect(finalToCaller()).toEqual([480]);
    expect(callRow()).toMatchObject({ state: "failed", end_reason: "no-answer" });
  });
});

describe("B2BUA default route: calls that never ring are recorded (SPEC §5)", () => {
  it("an unknown user gets 404 and a failed call with reason unknown-user", async () => {
    const b = b2bua(passThroughMedia);
    await callUser(b, "nobody");
    expect(finalToCaller()).toEqual([404]);
    expect(callRow()).toMatchObject({ state: "failed", end_status: 404, end_reason: "unknown-user" });
  });

  it("a known user with no registered contact gets 480 and a failed call with reason offline", async () => {
    setContacts(0);
    const b = b2bua(passThroughMedia);
    await callUser(b, "bob");
    expect(finalToCaller()).toEqual([480]);
    expect(callRow()).toMatchObject({ state: "failed", end_status: 480, end_reason: "offline" });
  });
});
