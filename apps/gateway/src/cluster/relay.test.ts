/**
 * The relay between cluster nodes (relay.ts) inside a real SipStack: real parsing, real
 * serialization, the node's sends captured. Node B (127.0.0.2, SIP 5062, WS 5066) holds bob's
 * WebSocket; node A (127.0.0.1, SIP 5060) anchors the call and reaches B over TCP.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  getHeader,
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
/** Node A's connection to B (its ephemeral port), and A's listening address. */
const fromA: Flow = {
  transport: "tcp",
  remoteAddress: "127.0.0.1",
  remotePort: 51000,
  connectionId: "tcp-1",
};
const nodeA: Flow = { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5060 };

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
  relay.attach(
    {
      ports: { sip: 5062 },
      localAddress: (flow) =>
        flow.transport === "ws"
          ? { transport: "WS", host: "127.0.0.2", port: 5066 }
          : { transport: flow.transport.toUpperCase(), host: "127.0.0.2", port: 5062 },
      stack,
    },
    (address) => address === "127.0.0.1",
  );
});

function receive(text: string, flow: Flow): void {
  stack.receive(parseMessage(text.replace(/\r?\n/g, "\r\n")), flow);
}

interface RequestOptions {
  route: string;
  toTag?: string;
  maxForwards?: number;
  uri?: string;
  via?: string;
  cseq?: number;
}

function request(method: string, o: RequestOptions): string {
  return [
    `${method} ${o.uri ?? "sip:bob-ua@abc.invalid;transport=ws"} SIP/2.0`,
    `Via: ${o.via ?? "SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKnodeA1;rport"}`,
    `Max-Forwards: ${o.maxForwards ?? 70}`,
    `Route: ${o.route}`,
    "From: <sip:alice@acme.test>;tag=a1",
    `To: <sip:bob@acme.test>${o.toTag ? `;tag=${o.toTag}` : ""}`,
    "Call-ID: leg-1@127.0.0.1",
    `CSeq: ${o.cseq ?? 1} ${method}`,
    "Contact: <sip:hookline@127.0.0.1:5060;transport=tcp>",
    "Content-Length: 0",
    "",
    "",
  ].join("\n");
}

/** `message` turned into a response (the first line replaced), with the callee's To tag. */
function answer(message: SipMessage, status: string): string {
  return serializeMessageToString(message)
    .replace(/^[A-Z]+ [^\r]*/, `SIP/2.0 ${status}`)
    .replace("To: <sip:bob@acme.test>\r", "To: <sip:bob@acme.test>;tag=b1\r");
}

const settle = () => new Promise((r) => setImmediate(r));
const statuses = () => sent.map((s) => s.message.kind === "response" && s.message.status);

/** The INVITE relayed down to bob, and the two Record-Route URIs (bob's side first). */
async function inviteBob(): Promise<{ invite: SipMessage; up: string; down: string }> {
  receive(request("INVITE", { route: relay.pathFor(bob) }), fromA);
  await settle();
  const invite = sent[0]!.message;
  const [up, down] = getRecordRoutes(invite).map((r) => `<${r.uri}>`);
  sent = [];
  return { invite, up: up!, down: down! };
}

describe("relay between cluster nodes (RFC 3327, RFC 5658, RFC 3261 §16.11)", () => {
  it("relays an INVITE routed by the binding's Path down the flow, Record-Routing itself once per side", async () => {
    const path = relay.pathFor(bob);
    expect(path).toMatch(/^<sip:[\w.-]+@127\.0\.0\.2:5062;transport=tcp;lr;hl>$/);
    receive(request("INVITE", { route: path }), fromA);
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
    const rr = getRecordRoutes(out.message).map((r) => r.uri);
    expect(rr).toHaveLength(2);
    expect(rr[0]).toMatch(/@127\.0\.0\.2:5066;transport=ws;lr;hl$/);
    expect(rr[1]).toMatch(/@127\.0\.0\.2:5062;transport=tcp;lr;hl$/);
    expect(out.message.kind === "request" && out.message.uri).toBe("sip:bob-ua@abc.invalid;transport=ws");
  });

  it("sends the flow's responses back on the connection the request came on", async () => {
    const { invite } = await inviteBob();
    receive(answer(invite, "180 Ringing"), bob);
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual(fromA);
    expect(getVias(sent[0]!.message).map((v) => v.branch)).toEqual(["z9hG4bKnodeA1"]);
  });

  it("relays the dialog's requests both ways by the Record-Route, from whichever connection they come", async () => {
    const { invite, up, down } = await inviteBob();
    const inviteBranch = getTopVia(invite)?.branch;

    receive(request("CANCEL", { route: relay.pathFor(bob) }), fromA);
    await settle();
    expect(sent[0]!.flow).toEqual(bob);
    expect(getTopVia(sent[0]!.message)?.branch).toBe(inviteBranch);

    // bob's BYE, on a WebSocket he opened again since: on to node A, and its answer back to him.
    const reconnected: Flow = { ...bob, remotePort: 40200, connectionId: "ws-10" };
    sent = [];
    const bye = request("BYE", {
      route: `${up}, ${down}`,
      toTag: "a1",
      uri: "sip:hookline@127.0.0.1:5060;transport=tcp",
      via: "SIP/2.0/WS abc.invalid;branch=z9hG4bKbob1",
    });
    receive(bye, reconnected);
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual(nodeA);
    expect(getHeader(sent[0]!.message, "route")).toBeUndefined();
    expect(getTopVia(sent[0]!.message)).toMatchObject({ transport: "TCP", host: "127.0.0.2", port: 5062 });
    const ok = serializeMessageToString(sent[0]!.message).replace(/^BYE [^\r]*/, "SIP/2.0 200 OK");
    sent = [];
    receive(ok, { ...nodeA, remotePort: 52000, connectionId: "tcp-2" });
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.flow).toEqual(reconnected);
    expect(getVias(sent[0]!.message).map((v) => v.branch)).toEqual(["z9hG4bKbob1"]);

    // Node A's BYE through the same Record-Route (its route set reversed) goes down the flow.
    sent = [];
    receive(request("BYE", { route: `${down}, ${up}`, toTag: "b1", cseq: 2 }), fromA);
    await settle();
    expect(sent[0]!.flow).toEqual(bob);
    expect(getHeader(sent[0]!.message, "route")).toBeUndefined();
  });

  it("leaves requests routed elsewhere, or to this node as an outbound proxy, to the node's own handlers", async () => {
    receive(request("INVITE", { route: "<sip:proxy.example.com;lr>" }), fromA);
    receive(request("REGISTER", { route: "<sip:127.0.0.2:5062;lr>" }), bob);
    await settle();
    expect(sent).toEqual([]);
    expect(handled).toHaveLength(2);
  });

  it("refuses a relay route it did not sign, or one changed on the way", async () => {
    const other = new Relay(new FlowTokens("another-cluster"), "127.0.0.2");
    other.attach(
      {
        ports: { sip: 5062 },
        localAddress: () => ({ transport: "TCP", host: "x", port: 1 }),
        stack: { relay: undefined, send: () => Promise.resolve() },
      },
      () => true,
    );
    const path = relay.pathFor(bob);
    const tampered = path.replace(/<sip:(.)/, (_m, c: string) => `<sip:${c === "A" ? "B" : "A"}`);
    for (const route of [other.pathFor(bob), tampered]) {
      sent = [];
      receive(request("INVITE", { route }), fromA);
      await settle();
      expect(statuses()).toEqual([403]);
      expect(sent[0]!.flow).toEqual(fromA);
    }
    expect(handled).toEqual([]);
  });

  it("relays down a flow only for a node of the cluster, and up only within a dialog", async () => {
    const { up } = await inviteBob();
    // Someone who is not a node, with a Path or with the Record-Route bob has seen.
    const stranger: Flow = { transport: "udp", remoteAddress: "203.0.113.9", remotePort: 5060 };
    receive(request("INVITE", { route: relay.pathFor(bob) }), stranger);
    // bob starting a new request toward node A with the Record-Route: no dialog, not relayed.
    receive(request("INVITE", { route: up }), bob);
    receive(request("INVITE", { route: relay.pathFor(bob), maxForwards: 0 }), fromA);
    await settle();
    expect(statuses()).toEqual([403, 403, 483]);
  });

  it("drops a response whose relay Via it did not sign, rather than send it anywhere", async () => {
    const forged = [
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK.hl.x;rport",
      "Via: SIP/2.0/UDP 203.0.113.99:9999;branch=z9hG4bKvictim",
      "From: <sip:a@b>;tag=1",
      "To: <sip:b@c>;tag=2",
      "Call-ID: x",
      "CSeq: 1 INVITE",
      "Content-Length: 0",
      "",
      "",
    ].join("\n");
    receive(forged, { transport: "udp", remoteAddress: "203.0.113.5", remotePort: 5060 });
    await settle();
    expect(sent).toEqual([]);
    expect(handled).toEqual([]);
  });

  it("answers 430 Flow Failed when the flow is gone (RFC 5626 §5.3)", async () => {
    failSends = true;
    receive(request("INVITE", { route: relay.pathFor(bob) }), fromA);
    await settle();
    await settle();
    expect(statuses()).toEqual([430]);
    expect(sent[0]!.flow).toEqual(fromA);
    expect(getVias(sent[0]!.message)).toHaveLength(1);
  });
});
