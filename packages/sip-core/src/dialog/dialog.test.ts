import { describe, expect, it } from "vitest";
import { createHeader } from "../headers/header-list.js";
import { getHeader, getHeaders } from "../headers/header-list.js";
import { getCSeq, getFrom, getTo } from "../headers/typed.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { InvalidStateError } from "../transaction/errors.js";
import { makeRequest, makeResponse } from "../transaction/test-fixtures.js";
import { createUacDialog, createUasDialog } from "./dialog.js";
import type { Dialog } from "./dialog.js";
import { dialogIdOfIncomingRequest, dialogIdOfResponse, dialogKey } from "./dialog-id.js";

const h = createHeader;

function invite(extra: ReturnType<typeof h>[] = [], cseq = 10): SipRequest {
  return makeRequest({
    method: "INVITE",
    branch: "z9hG4bKinv",
    cseq,
    extra: [h("Contact", "<sip:alice@192.0.2.10:5060;transport=udp>"), ...extra],
  });
}

function reply(request: SipRequest, status: number, extra: ReturnType<typeof h>[] = []): SipResponse {
  return makeResponse(request, status, "bobtag", [h("Contact", "<sip:bob@198.51.100.7:5070>"), ...extra]);
}

function ok<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok: ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

function uacDialog(request = invite(), response = reply(request, 200)): Dialog {
  return ok(createUacDialog(request, response)).dialog;
}

describe("RFC 3261 §12.1.2 UAC dialog creation", () => {
  it("a 1xx with a To tag creates an early dialog; the 2xx confirms it and recomputes the route set", () => {
    const req = invite();
    const ringing = reply(req, 180, [h("Record-Route", "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>")]);
    const dialog = ok(createUacDialog(req, ringing)).dialog;
    expect(dialog.state).toBe("early");
    expect(dialog.role).toBe("uac");
    expect(dialog.id).toEqual({ callId: "call-1@pc33", localTag: "a1", remoteTag: "bobtag" });
    expect(dialog.routeSet).toEqual(["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    expect(dialog.remoteTarget).toBe("sip:bob@198.51.100.7:5070");
    expect(dialog.localSeq).toBe(10);
    expect(dialog.remoteSeq).toBeUndefined();
    const okResponse = makeResponse(req, 200, "bobtag", [
      h("Contact", "<sip:bob@203.0.113.9>"),
      h("Record-Route", "<sip:p3.example.com;lr>"),
      h("Record-Route", "<sip:p1.example.com;lr>"),
    ]);
    dialog.receiveResponse(okResponse);
    expect(dialog.state).toBe("confirmed");
    expect(dialog.routeSet).toEqual(["<sip:p1.example.com;lr>", "<sip:p3.example.com;lr>"]);
    expect(dialog.remoteTarget).toBe("sip:bob@203.0.113.9");
  });

  it("a 2xx creates a confirmed dialog; From/To keep display names and tags", () => {
    const dialog = uacDialog();
    expect(dialog.state).toBe("confirmed");
    expect(getFrom({ headers: [h("From", dialog.localParty)] })?.displayName).toBe("Alice");
    expect(getTo({ headers: [h("To", dialog.remoteParty)] })?.tag).toBe("bobtag");
  });

  it("a failed INVITE ends an early dialog", () => {
    const req = invite();
    const dialog = ok(createUacDialog(req, reply(req, 183))).dialog;
    dialog.receiveResponse(makeResponse(req, 486, "bobtag"));
    expect(dialog.state).toBe("terminated");
  });

  it("refuses what cannot create a dialog (typed result, no throw)", () => {
    const req = invite();
    expect(createUacDialog(req, makeResponse(req, 180))).toMatchObject({ ok: false, reason: /To tag/ });
    expect(createUacDialog(req, makeResponse(req, 100, "x"))).toMatchObject({ ok: false });
    expect(createUacDialog(req, makeResponse(req, 404, "x"))).toMatchObject({ ok: false });
    expect(createUacDialog(req, makeResponse(req, 200, "x"))).toMatchObject({ ok: false, reason: /Contact/ });
    // A 180 without Contact is tolerated: the Request-URI is the target until the 2xx.
    expect(ok(createUacDialog(req, makeResponse(req, 180, "x"))).dialog.remoteTarget).toBe(req.uri);
  });

  it("dialog ids match across the two sides", () => {
    const req = invite();
    const res = reply(req, 200);
    const uac = uacDialog(req, res);
    const uas = ok(createUasDialog(req, res)).dialog;
    expect(dialogIdOfResponse(res)).toEqual(uac.id);
    const bye = uac.createRequest("BYE");
    expect(dialogIdOfIncomingRequest(bye)).toEqual(uas.id);
    expect(dialogKey(uas.id)).not.toBe(dialogKey(uac.id));
    expect(dialogIdOfIncomingRequest(req)).toBeUndefined(); // no To tag: not in a dialog
  });
});

describe("RFC 3261 §12.1.1 UAS dialog creation", () => {
  it("route set = Record-Route of the request in order, remote target = its Contact, remote CSeq = its CSeq", () => {
    const req = invite(
      [h("Record-Route", "<sip:p1.example.com;lr>"), h("Record-Route", "<sip:p2.example.com;lr>")],
      7,
    );
    const res = makeResponse(req, 180, "mytag", [h("Contact", "<sip:gw@192.0.2.1>")]);
    const dialog = ok(createUasDialog(req, res)).dialog;
    expect(dialog.state).toBe("early");
    expect(dialog.id).toEqual({ callId: "call-1@pc33", localTag: "mytag", remoteTag: "a1" });
    expect(dialog.routeSet).toEqual(["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    expect(dialog.remoteTarget).toBe("sip:alice@192.0.2.10:5060;transport=udp");
    expect(dialog.remoteSeq).toBe(7);
    expect(dialog.localSeq).toBeUndefined();
    dialog.confirm();
    expect(dialog.state).toBe("confirmed");
  });

  it("the secure flag needs a SIPS Request-URI and TLS", () => {
    const req = { ...invite(), uri: "sips:bob@example.com" };
    const res = makeResponse(req, 200, "t");
    expect(ok(createUasDialog(req, res, { secureTransport: true })).dialog.secure).toBe(true);
    expect(ok(createUasDialog(req, res)).dialog.secure).toBe(false);
  });

  it("refuses a request without Contact", () => {
    const req = makeRequest({ method: "INVITE", branch: "z9hG4bKx" });
    expect(createUasDialog(req, makeResponse(req, 200, "t"))).toMatchObject({ ok: false, reason: /Contact/ });
  });
});

describe("RFC 3261 §12.2.1.1 requests within a dialog", () => {
  it("loose routing: Request-URI = remote target, Route = route set; CSeq increments; tags on From/To", () => {
    const req = invite();
    const dialog = uacDialog(
      req,
      reply(req, 200, [h("Record-Route", "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>")]),
    );
    const bye = dialog.createRequest("BYE", { via: "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye" });
    expect(bye.uri).toBe("sip:bob@198.51.100.7:5070");
    expect(getHeaders(bye, "route")).toEqual(["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    expect(getCSeq(bye)).toEqual({ seq: 11, method: "BYE" });
    expect(getFrom(bye)?.tag).toBe("a1");
    expect(getTo(bye)?.tag).toBe("bobtag");
    expect(getHeader(bye, "call-id")).toBe("call-1@pc33");
    expect(getHeader(bye, "max-forwards")).toBe("70");
    expect(bye.headers[0]?.key).toBe("via");
    expect(getCSeq(dialog.createRequest("INFO"))?.seq).toBe(12);
    expect(dialog.localSeq).toBe(12);
  });

  it("strict routing: the first route becomes the Request-URI and the remote target the last Route", () => {
    const req = invite();
    const dialog = uacDialog(
      req,
      reply(req, 200, [h("Record-Route", "<sip:p2.example.com>, <sip:p1.example.com;method=INVITE>")]),
    );
    const bye = dialog.createRequest("BYE");
    expect(bye.uri).toBe("sip:p1.example.com");
    expect(getHeaders(bye, "route")).toEqual(["<sip:p2.example.com>", "<sip:bob@198.51.100.7:5070>"]);
  });

  it("no route set: Request-URI = remote target, no Route", () => {
    const bye = uacDialog().createRequest("BYE");
    expect(bye.uri).toBe("sip:bob@198.51.100.7:5070");
    expect(getHeaders(bye, "route")).toEqual([]);
  });

  it("ACK for a 2xx reuses the INVITE's CSeq number (§13.2.2.4); a re-INVITE moves it", () => {
    const dialog = uacDialog();
    expect(getCSeq(dialog.createRequest("ACK"))).toEqual({ seq: 10, method: "ACK" });
    const reinvite = dialog.createRequest("INVITE", {
      contact: "<sip:alice@192.0.2.10>",
      body: "v=0\r\n",
      contentType: "application/sdp",
    });
    expect(getCSeq(reinvite)?.seq).toBe(11);
    expect(getHeader(reinvite, "contact")).toBe("<sip:alice@192.0.2.10>");
    expect(getHeader(reinvite, "content-type")).toBe("application/sdp");
    expect(new TextDecoder().decode(reinvite.body)).toBe("v=0\r\n");
    expect(getCSeq(dialog.createRequest("ACK"))?.seq).toBe(11);
    expect(() => dialog.createRequest("CANCEL")).toThrow(InvalidStateError);
  });

  it("a UAS dialog picks a random initial local CSeq below 2^31, then increments", () => {
    const req = invite();
    const dialog = ok(createUasDialog(req, reply(req, 200))).dialog;
    const first = getCSeq(dialog.createRequest("BYE"))?.seq ?? 0;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(2 ** 31);
    expect(getCSeq(dialog.createRequest("INFO"))?.seq).toBe(first + 1);
    expect(getFrom(dialog.createRequest("INFO"))?.tag).toBe("bobtag");
    expect(dialog.createRequest("INFO").uri).toBe("sip:alice@192.0.2.10:5060;transport=udp");
  });

  it("no requests once terminated", () => {
    const dialog = uacDialog();
    dialog.terminate();
    expect(() => dialog.createRequest("BYE")).toThrow(InvalidStateError);
  });
});

describe("RFC 3261 §12.2.1.2 responses within a dialog", () => {
  it("a 2xx to a target refresh replaces the remote target; 481 ends the dialog", () => {
    const dialog = uacDialog();
    const reinvite = dialog.createRequest("INVITE");
    dialog.receiveResponse(makeResponse(reinvite, 200, undefined, [h("Contact", "<sip:bob@203.0.113.50>")]));
    expect(dialog.remoteTarget).toBe("sip:bob@203.0.113.50");
    const info = dialog.createRequest("INFO");
    dialog.receiveResponse(
      makeResponse(info, 200, undefined, [h("Contact", "<sip:elsewhere@203.0.113.51>")]),
    );
    expect(dialog.remoteTarget).toBe("sip:bob@203.0.113.50"); // INFO is no target refresh
    dialog.receiveResponse(makeResponse(dialog.createRequest("INFO"), 481));
    expect(dialog.state).toBe("terminated");
  });
});

describe("RFC 3261 §12.2.2 requests received within a dialog", () => {
  function inDialog(method: string, cseq: number, extra: ReturnType<typeof h>[] = []): SipRequest {
    return makeRequest({ method, branch: `z9hG4bK${method}${cseq}`, cseq, toTag: "bobtag", extra });
  }

  it("a UAC dialog learns the remote CSeq from the first request, then rejects lower ones with 500", () => {
    const dialog = uacDialog();
    expect(dialog.receiveRequest(inDialog("INFO", 500))).toEqual({ ok: true });
    expect(dialog.remoteSeq).toBe(500);
    expect(dialog.receiveRequest(inDialog("INFO", 499))).toEqual({
      ok: false,
      status: 500,
      reason: "CSeq out of order",
    });
    expect(dialog.receiveRequest(inDialog("INFO", 501))).toEqual({ ok: true });
    expect(dialog.remoteSeq).toBe(501);
  });

  it("a UAS dialog starts from the INVITE's CSeq; its ACK does not count as out of order", () => {
    const req = invite([], 20);
    const dialog = ok(createUasDialog(req, reply(req, 200))).dialog;
    expect(
      dialog.receiveRequest(makeRequest({ method: "ACK", branch: "z9hG4bKack", cseq: 20, toTag: "bobtag" })),
    ).toEqual({ ok: true });
    expect(dialog.receiveRequest(inDialog("BYE", 19))).toMatchObject({ ok: false, status: 500 });
    expect(dialog.receiveRequest(inDialog("BYE", 21))).toEqual({ ok: true });
  });

  it("a target refresh request replaces the remote target; other methods do not", () => {
    const req = invite();
    const dialog = ok(createUasDialog(req, reply(req, 200))).dialog;
    dialog.receiveRequest(inDialog("INFO", 11, [h("Contact", "<sip:x@192.0.2.99>")]));
    expect(dialog.remoteTarget).toBe("sip:alice@192.0.2.10:5060;transport=udp");
    dialog.receiveRequest(inDialog("INVITE", 12, [h("Contact", "<sip:alice@192.0.2.77:5062>")]));
    expect(dialog.remoteTarget).toBe("sip:alice@192.0.2.77:5062");
    dialog.receiveRequest(inDialog("UPDATE", 13, [h("Contact", "sip:alice@192.0.2.78")]));
    expect(dialog.remoteTarget).toBe("sip:alice@192.0.2.78");
  });

  it("a request without a readable CSeq is a 400", () => {
    const dialog = uacDialog();
    const bad = inDialog("INFO", 1);
    expect(
      dialog.receiveRequest({ ...bad, headers: bad.headers.filter((x) => x.key !== "cseq") }),
    ).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});
