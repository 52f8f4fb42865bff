/**
 * The relay between cluster nodes (relay.ts) inside a real SipStack: real parsing, real
 * serialization, the node's sends captured. Node B (127.0.0.2:5062) holds bob's WebSocket; node A
 * (127.0.0.1:5060) anchors the call.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  getHeader,
  getHeaders,
  getRecordRoutes,
  getTopVia,
  getVias,
  parseMessage,
  serializeMessageToString,
  type SipMessage,
} from "@hookline/sip-core";
import { SipStack } from "../sip/sip-stack.js";
import type { Flow } from "../transport/types.js";
import { FlowTokens } from "./flow-token.js";
import { Relay } from "./relay.js";

const tokens = new FlowTokens("cluster-secret");
const bob: Flow = { transport: "ws", remoteAddress: "192.0.2.7", remotePort: 40100, connectionId: "ws-9" };
const nodeA: Flow = { transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5060 };

interface Sent {
  flow: Flow;
  message: SipMessage;
}

let relay: Relay;
let stack: SipStack;
let sent: Sent[];
let handled: SipMessage[];
let failSends: boolean;

beforeEach(() => {
  sent = [];
  handled = [];
  failSends = false;
  stack = new SipStack((flow, data) => {
    if (failSends && flow.transport === "ws") return Promise.reject(new Error("connection closed"));
    const r = parseMessage(data);
    if (!r.ok) throw new Error("relay sent an unparsable message");
    sent.push({ flow, message: r.message });
    return Promise.resolve();
  });
  stack.setHandlers({ onRequest: (m) => handled.push(m), onResponse: (m) => handled.push(m) });
  relay = new Relay(tokens, "127.0.0.2");
  relay.attach({
    ports: { sip: 5062 },
    localAddress: (flow) =>
      flow.transport === "ws"
        ? { transport: "WS", host: "127.0.0.2", port: 5066 }
        : { transport: "UDP", host: "127.0.0.2", port: 5062 },
    stack,
  });
});

function receive(text: string, flow: Flow): void {
  stack.receive(parseMessage(text.replace(/\r?\n/g, "\r\n")), flow);
}

function request(method: string, route: string, extra: string[] = [], maxForwards = 70): string {
  return [
    `${method} sip:bob-ua@abc.invalid;transport=ws SIP/2.0`,
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnodeA1;rport",
    `Max-Forwards: ${maxForwards}`,
    `Route: ${route}`,
    "From: <sip:alice@acme.test>;tag=a1",
    "To: <sip:bob@acme.test>",
    "Call-ID: leg-1@127.0.0.1",
    `CSeq: 1 ${method}`,
    "Contact: <sip:hookline@127.0.0.1:5060;transport=udp>",
    ...extra,
    "Content-Length: 0",
    "",
    "",
  ].join("\n");
}

const settle = () => new Promise((r) => setImmediate(r));

describe("relay between cluster nodes (RFC 3327, RFC 3261 §16)", () => {
  it("relays an INVITE routed by the binding's Path down the flow, Record-Routing itself", async () => {
    const path = relay.pathFor(bob);
    expect(path).toMatch(/^<sip:[\w.-]+@127\.0\.0\.2:5062;transport=udp;lr>$/);
    receive(request("INVITE", path), nodeA);
    await settle();
    expect(handled).toEqual([]);
    expect(sent).toHaveLength(1);
    const out = sent[0]!;
    expect(out.flow).toEqual(bob);
    expect(getHeader(out.message, "route")).toBeUndefined();
    expect(getHeader(out.message, "max-forwards")).toBe("69");
    const vias = getVias(out.message);
    expect(vias[0]).toMatchObject({ transport: "WS", host: "127.0.0.2", port: 5066 });
    expect(vias[0]?.branch?.startsWith("z9hG4bK.hl.")).toBe(true);
    expect(vias[1]?.branch).toBe("z9hG4bKnodeA1");
    const rr = getRecordRoutes(out.message);
    expect(rr).toHaveLength(1);
    expect(rr[0]?.uri).toMatch(/@127\.0\.0\.2:5062;transport=udp;lr$/);
    expect((out.message.kind === "request" && out.message.uri) || "").toBe(
      "sip:bob-ua@abc.invalid;transport=ws",
    );
  });

  it("sends the flow's responses back to the node that sent the request (its received/rport)", async () => {
    receive(request("INVITE", relay.pathFor(bob)), { ...nodeA, remotePort: 5999 });
    await settle();
    const invite = sent[0]!.message;
    const response = serializeMessageToString(invite)
      .replace(/^INVITE [^\r]*/, "SIP/2.0 180 Ringing")
      .replace("To: <sip:bob@acme.test>", "To: <sip:bob@acme.test>;tag=b1");
    sent = [];
    receive(response, bob);
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual({ transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5999 });
    expect(getVias(sent[0]!.message).map((v) => v.branch)).toEqual(["z9hG4bKnodeA1"]);
  });

  it("relays the dialog's requests both ways through the Record-Route, and a CANCEL with its INVITE's branch", async () => {
    receive(request("INVITE", relay.pathFor(bob)), nodeA);
    await settle();
    const rr = `<${getRecordRoutes(sent[0]!.message)[0]!.uri}>`;
    const inviteBranch = getTopVia(sent[0]!.message)?.branch;

    sent = [];
    receive(request("CANCEL", relay.pathFor(bob)), nodeA);
    await settle();
    expect(sent[0]!.flow).toEqual(bob);
    expect(getTopVia(sent[0]!.message)?.branch).toBe(inviteBranch);

    // bob's BYE, up his WebSocket: on to node A, with a Via that brings the answer back down.
    sent = [];
    const bye = request("BYE", rr)
      .replace("BYE sip:bob-ua@abc.invalid;transport=ws", "BYE sip:hookline@127.0.0.1:5060;transport=udp")
      .replace(
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnodeA1;rport",
        "Via: SIP/2.0/WS abc.invalid;branch=z9hG4bKbob1",
      );
    receive(bye, bob);
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual(nodeA);
    expect(getTopVia(sent[0]!.message)).toMatchObject({ transport: "UDP", host: "127.0.0.2", port: 5062 });
    const ok = serializeMessageToString(sent[0]!.message).replace(/^BYE [^\r]*/, "SIP/2.0 200 OK");
    sent = [];
    receive(ok, nodeA);
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual(bob);
    expect(getVias(sent[0]!.message).map((v) => v.branch)).toEqual(["z9hG4bKbob1"]);

    // Node A's BYE through the same Record-Route goes down the flow.
    sent = [];
    receive(request("BYE", rr), nodeA);
    await settle();
    expect(sent[0]!.flow).toEqual(bob);
  });

  it("leaves requests routed elsewhere to the node's own handlers", async () => {
    receive(request("INVITE", "<sip:proxy.example.com;lr>"), nodeA);
    receive(request("INVITE", "<sip:someone@127.0.0.2:5062;lr>").replace(/Route: [^\n]*\n/, ""), nodeA);
    await settle();
    expect(sent).toEqual([]);
    expect(handled).toHaveLength(2);
  });

  it("refuses a route naming this node with a token it did not sign, or one changed on the way", async () => {
    const other = new Relay(new FlowTokens("another-cluster"), "127.0.0.2");
    other.attach({
      ports: { sip: 5062 },
      localAddress: () => ({ transport: "UDP", host: "x", port: 1 }),
      stack: { relay: undefined, send: () => Promise.resolve() },
    });
    const forged = other.pathFor(bob);
    const path = relay.pathFor(bob);
    const tampered = path.replace(/<sip:(.)/, (_m, c: string) => `<sip:${c === "A" ? "B" : "A"}`);
    for (const route of [forged, tampered]) {
      sent = [];
      receive(request("INVITE", route), nodeA);
      await settle();
      expect(sent).toHaveLength(1);
      expect(sent[0]!.flow).toEqual(nodeA);
      expect(sent[0]!.message).toMatchObject({ kind: "response", status: 403 });
    }
    expect(handled).toEqual([]);
  });

  it("refuses a flow's own request routed by a Path (no next hop) and a request out of hops", async () => {
    receive(request("INVITE", relay.pathFor(bob)), bob);
    receive(request("INVITE", relay.pathFor(bob), [], 0), nodeA);
    await settle();
    expect(sent.map((s) => s.message.kind === "response" && s.message.status)).toEqual([403, 483]);
  });

  it("answers 430 Flow Failed when the flow is gone (RFC 5626 §5.3)", async () => {
    failSends = true;
    receive(request("INVITE", relay.pathFor(bob)), nodeA);
    await settle();
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual(nodeA);
    expect(sent[0]!.message).toMatchObject({ kind: "response", status: 430 });
    expect(getHeaders(sent[0]!.message, "via")).toHaveLength(1);
  });
});
