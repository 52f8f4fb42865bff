/**
 * A call the platform starts (SPEC §5 `POST /v1/calls`): the first party's 2xx offers, and its ACK
 * carries the callee's answer (RFC 3725 §4.1 flow I). Whatever ends the call first, the first
 * party gets that ACK before any BYE (RFC 3261 §13.2.2.4).
 */
import {
  createResponse,
  getCallId,
  getCSeq,
  getFrom,
  getTo,
  parseMessage,
  type SipRequest,
} from "@hookline/sip-core";
import { describe, expect, it } from "vitest";
import { DOMAIN } from "../registrar/test-support.js";
import type { DialContact } from "./ports.js";
import { passThroughMedia, type MediaPort } from "./media-port.js";
import type { B2bua } from "./b2bua.js";
import { b2bua, device, layer, OFFER, recorders, sent, settle, temp, tenant } from "./b2bua-test-support.js";

/** The first party is carol's phone (device 1); the callee bob's (device 0). */
const contactOf = (i: number, user: string): DialContact => ({
  contact: `sip:${user}@127.0.0.1:${5080 + i};transport=tcp`,
  flow: device(i),
  target: user,
});

const requestsTo = (i: number) =>
  sent.flatMap((s) => (s.flow === device(i) && s.message.kind === "request" ? [s.message] : []));

/** Device `i` answers its INVITE 200 with `sdp`. */
async function answers(i: number, sdp: string): Promise<void> {
  const inv = requestsTo(i).find((m) => m.method === "INVITE");
  if (!inv) throw new Error(`device ${i} got no INVITE`);
  const contact: [string, string][] = [["Contact", `<sip:x@127.0.0.1:${5080 + i};transport=tcp>`]];
  layer.receiveResponse(
    createResponse(inv, 200, "OK", {
      toTag: `d${i}`,
      headers: contact,
      body: sdp,
      contentType: "application/sdp",
    }),
  );
  await settle();
}

/** Device `i` hangs up: a BYE in the dialog its 200 made. */
async function hangsUp(b: B2bua, i: number): Promise<void> {
  const inv = requestsTo(i).find((m) => m.method === "INVITE")!;
  const fromTag = getFrom(inv)?.tag;
  const callId = getCallId(inv);
  const bye = parseMessage(
    Buffer.from(
      `BYE sip:gw@127.0.0.1:5060;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${5080 + i};branch=z9hG4bK-bye${i}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:x@${DOMAIN}>;tag=d${i}\r\nTo: <sip:y@${DOMAIN}>;tag=${fromTag}\r\n` +
        `Call-ID: ${callId}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n`,
    ),
  );
  if (!bye.ok || bye.message.kind !== "request") throw new Error("BYE does not parse");
  const sender = {
    reliable: true,
    send: (m: (typeof sent)[number]["message"]) => void sent.push({ message: m, flow: device(i) }),
  };
  const result = layer.receiveRequest(bye.message, sender);
  if (result.kind !== "new") throw new Error("no BYE transaction");
  b.onInDialog(bye.message, result.transaction);
  await settle();
}

function originate(b: B2bua): void {
  b.originate({
    domain: { domainId: tenant.domainId, accountId: tenant.accountId, name: DOMAIN },
    from: `sip:carol@${DOMAIN}`,
    to: `sip:bob@${DOMAIN}`,
    contacts: [contactOf(1, "carol")],
    timeoutMs: 30_000,
    run: async (call) => {
      await call.dial({ groups: [[contactOf(0, "bob")]], timeoutMs: 30_000 });
    },
  });
}

const methods = (ms: SipRequest[]) => ms.map((m) => m.method);

describe("B2BUA: an API call's first party is ACKed before any BYE (RFC 3261 §13.2.2.4)", () => {
  it("ACKs the first party with the callee's answer once the callee answers", async () => {
    const b = b2bua(passThroughMedia);
    originate(b);
    await settle();
    await answers(1, OFFER);
    await answers(0, OFFER);
    expect(methods(requestsTo(1))).toEqual(["INVITE", "ACK"]);
    const ack = requestsTo(1)[1]!;
    expect(Buffer.from(ack.body).toString()).toContain("m=audio 4000 RTP/AVP 0");
    expect(b.activeCalls).toBe(1);
  });

  it("when the callee hangs up while the answer for the first party is worked out, ACK comes before BYE, once", async () => {
    let release!: (sdp: string) => void;
    const media: MediaPort = {
      ...passThroughMedia,
      // The callee's answer toward the first party waits on the media plane.
      answer: () => new Promise<string>((resolve) => (release = resolve)),
    };
    const b = b2bua(media);
    originate(b);
    await settle();
    await answers(1, OFFER);
    await answers(0, OFFER);
    expect(methods(requestsTo(1))).toEqual(["INVITE"]);

    await hangsUp(b, 0);
    expect(methods(requestsTo(1))).toEqual(["INVITE", "ACK", "BYE"]);
    const [, ack, bye] = requestsTo(1);
    // The ACK answers the 2xx's offer declining its one stream (RFC 3264 §6), in the 2xx's dialog.
    expect(Buffer.from(ack!.body).toString()).toContain("m=audio 0 RTP/AVP 0");
    expect(getCSeq(ack!)?.method).toBe("ACK");
    expect(getTo(bye!)?.tag).toBe("d1");
    expect(b.activeCalls).toBe(0);

    release(OFFER);
    await settle();
    expect(methods(requestsTo(1))).toEqual(["INVITE", "ACK", "BYE"]);
  });

  it("a first party the fraud guard refuses is recorded with the guard's reason", async () => {
    const b = b2bua(passThroughMedia);
    b.originate({
      domain: { domainId: tenant.domainId, accountId: tenant.accountId, name: DOMAIN },
      from: `sip:carol@${DOMAIN}`,
      to: "tel:+19005550100",
      contacts: [],
      timeoutMs: 30_000,
      dial: () =>
        Promise.resolve({
          status: "failed",
          sipStatus: 403,
          reason: "destination +19005550100 denied by trunk carrier-a (prefix +1900)",
          endReason: "destination +19005550100 denied by trunk carrier-a (prefix +1900)",
          answeredBy: null,
          durationSec: null,
        }),
      run: () => Promise.resolve(),
    });
    await settle();
    for (const r of recorders) await r.flush();
    expect(temp.database.sqlite.prepare("select state, end_status, end_reason from calls").get()).toEqual({
      state: "failed",
      end_status: 403,
      end_reason: "destination +19005550100 denied by trunk carrier-a (prefix +1900)",
    });
  });

  it("when the media plane cannot answer, the first party's offer is declined in its ACK and both sides get BYE", async () => {
    const media: MediaPort = {
      ...passThroughMedia,
      answer: () => Promise.reject(new Error("mediasoup: transport closed")),
    };
    const b = b2bua(media);
    originate(b);
    await settle();
    await answers(1, OFFER);
    await answers(0, OFFER);
    expect(methods(requestsTo(1))).toEqual(["INVITE", "ACK", "BYE"]);
    expect(Buffer.from(requestsTo(1)[1]!.body).toString()).toContain("m=audio 0 RTP/AVP 0");
    expect(methods(requestsTo(0))).toEqual(["INVITE", "ACK", "BYE"]);
    expect(b.activeCalls).toBe(0);
  });

  it("an answered first party that the program hangs up is a completed call, not a failed one", async () => {
    const b = b2bua(passThroughMedia);
    b.originate({
      domain: { domainId: tenant.domainId, accountId: tenant.accountId, name: DOMAIN },
      from: `sip:carol@${DOMAIN}`,
      to: `sip:carol@${DOMAIN}`,
      contacts: [contactOf(1, "carol")],
      timeoutMs: 30_000,
      run: (call) => Promise.resolve(call.hangup("application-hangup")),
    });
    await settle();
    await answers(1, OFFER);
    expect(methods(requestsTo(1))).toEqual(["INVITE", "ACK", "BYE"]);
    for (const r of recorders) await r.flush();
    expect(temp.database.sqlite.prepare("select state, end_status, end_reason from calls").get()).toEqual({
      state: "completed",
      end_status: null,
      end_reason: "application-hangup",
    });
  });
});
