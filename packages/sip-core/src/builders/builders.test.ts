import { describe, expect, it } from "vitest";
import { getHeader, getHeaders } from "../headers/header-list.js";
import { getCSeq, getTo, getTopVia, getVias } from "../headers/typed.js";
import { parseMessage } from "../message/parse.js";
import { serializeMessage, serializeMessageToString } from "../message/serialize.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { createAckForNonSuccess, createCancel, createRequest, createResponse } from "./builders.js";
import { generateBranch, generateCallId, generateTag } from "./ids.js";

const INVITE = [
  "INVITE sip:bob@biloxi.example.com SIP/2.0",
  "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1",
  "Max-Forwards: 69",
  "Record-Route: <sip:proxy.example.com;lr>",
  "Route: <sip:edge.example.com;lr>",
  "To: Bob <sip:bob@biloxi.example.com>",
  "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
  "Call-ID: a84b4c76e66710@pc33.example.com",
  "CSeq: 314159 INVITE",
  "Timestamp: 54",
  "Contact: <sip:alice@pc33.example.com>",
  "Content-Length: 0",
  "",
  "",
].join("\r\n");

function invite(): SipRequest {
  const r = parseMessage(INVITE);
  if (!r.ok || r.message.kind !== "request") throw new Error("fixture");
  return r.message;
}

describe("RFC 3261 §8.2.6 createResponse", () => {
  it("copies Via lines, From, To, Call-ID, CSeq in order and adds the To tag", () => {
    const res = createResponse(invite(), 486, undefined, { toTag: "a6c85cf" });
    expect([res.status, res.reason]).toEqual([486, "Busy Here"]);
    expect(res.headers.map((h) => h.key)).toEqual(["via", "to", "from", "call-id", "cseq"]);
    expect(getVias(res).map((v) => v.branch)).toEqual(["z9hG4bKp1", "z9hG4bK776asdhds"]);
    expect(getTo(res)?.tag).toBe("a6c85cf");
    expect(getCSeq(res)).toEqual({ seq: 314159, method: "INVITE" });
  });
  it("does not tag 100 Trying and copies Timestamp into it (§8.2.6.1)", () => {
    const res = createResponse(invite(), 100, undefined, { toTag: "x" });
    expect(getTo(res)?.tag).toBeUndefined();
    expect(getHeader(res, "timestamp")).toBe("54");
  });
  it("copies Record-Route into 1xx/2xx when asked (§12.1.1), not into errors", () => {
    expect(
      getHeaders(createResponse(invite(), 200, "OK", { copyRecordRoute: true, toTag: "t" }), "record-route"),
    ).toEqual(["<sip:proxy.example.com;lr>"]);
    expect(
      getHeaders(createResponse(invite(), 404, undefined, { copyRecordRoute: true }), "record-route"),
    ).toEqual([]);
  });
  it("keeps an existing To tag and adds body, Content-Type and extra headers", () => {
    const req = invite();
    req.headers = req.headers.map((h) => (h.key === "to" ? { ...h, value: h.value + ";tag=old" } : h));
    const res = createResponse(req, 200, "OK", {
      toTag: "new",
      body: "v=0\r\n",
      contentType: "application/sdp",
      headers: [["Contact", "<sip:bob@192.0.2.4>"]],
    });
    expect(getTo(res)?.tag).toBe("old");
    const wire = serializeMessageToString(res);
    expect(wire).toContain(
      "Content-Type: application/sdp\r\nContact: <sip:bob@192.0.2.4>\r\nContent-Length: 5\r\n\r\nv=0\r\n",
    );
  });
  it("answers 400 from a parse error's partial message", () => {
    const r = parseMessage(INVITE.replace("Max-Forwards: 69", "Max-Forwards: 300"));
    expect(r.ok).toBe(false);
    if (r.ok || r.error.partial === undefined) return;
    const res = createResponse(r.error.partial, 400, "Bad Max-Forwards", { toTag: "z" });
    expect(getTopVia(res)?.branch).toBe("z9hG4bKp1");
    expect(getHeader(res, "call-id")).toBe("a84b4c76e66710@pc33.example.com");
  });
});

describe("RFC 3261 §9.1 createCancel", () => {
  it("has the INVITE's Request-URI, top Via only, From, To, Call-ID, CSeq number and Route", () => {
    const c = createCancel(invite());
    expect([c.method, c.uri]).toEqual(["CANCEL", "sip:bob@biloxi.example.com"]);
    expect(getVias(c).map((v) => v.branch)).toEqual(["z9hG4bKp1"]);
    expect(getCSeq(c)).toEqual({ seq: 314159, method: "CANCEL" });
    expect(getHeaders(c, "route")).toEqual(["<sip:edge.example.com;lr>"]);
    expect(getTo(c)?.tag).toBeUndefined();
    const reparsed = parseMessage(serializeMessage(c));
    expect(reparsed.ok).toBe(true);
  });
});

describe("RFC 3261 §17.1.1.3 createAckForNonSuccess", () => {
  it("takes To (with tag) from the response and the rest from the INVITE", () => {
    const inv = invite();
    const res: SipResponse = createResponse(inv, 486, undefined, { toTag: "busy1" });
    const ack = createAckForNonSuccess(inv, res);
    expect([ack.method, ack.uri]).toEqual(["ACK", inv.uri]);
    expect(getTo(ack)?.tag).toBe("busy1");
    expect(getCSeq(ack)).toEqual({ seq: 314159, method: "ACK" });
    expect(getVias(ack)).toHaveLength(1);
    expect(getHeaders(ack, "route")).toHaveLength(1);
  });
});

describe("createRequest and identifiers", () => {
  it("builds a request that serializes and parses back", () => {
    const branch = generateBranch();
    const req = createRequest({
      method: "MESSAGE",
      uri: "sip:bob@example.com",
      headers: [
        ["Via", `SIP/2.0/TCP h.example.com;branch=${branch}`],
        ["From", `<sip:a@example.com>;tag=${generateTag()}`],
        ["To", "<sip:bob@example.com>"],
        ["Call-ID", generateCallId("h.example.com")],
        ["CSeq", "1 MESSAGE"],
        ["Max-Forwards", "70"],
      ],
      body: "héllo",
      contentType: "text/plain;charset=utf-8",
    });
    const r = parseMessage(serializeMessage(req));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(getTopVia(r.message)?.branch).toBe(branch);
    expect(getHeader(r.message, "content-length")).toBe("6");
    expect(Buffer.from(r.message.body).toString()).toBe("héllo");
  });
  it("branch has the magic cookie; ids are unique", () => {
    expect(generateBranch()).toMatch(/^z9hG4bK[A-Za-z0-9_-]{16}$/);
    expect(new Set(Array.from({ length: 100 }, generateTag)).size).toBe(100);
    expect(generateCallId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
