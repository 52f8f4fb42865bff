import {
  getCallId,
  getCSeq,
  getTo,
  parseMessage,
  serializeMessage,
  type SipMessage,
} from "@hookline/sip-core";
import { describe, expect, it } from "vitest";
import type { Flow } from "../transport/types.js";
import type { B2bua } from "./b2bua.js";
import { passThroughMedia } from "./media-port.js";
import { b2bua, calleeResponds, clock, invite, layer, sent, settle } from "./b2bua-test-support.js";

const udpCaller: Flow = { transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5070 };
const fromUdpCaller = {
  reliable: false,
  send: (message: SipMessage) => void sent.push({ message, flow: udpCaller }),
};

/** The 2xx responses the caller got to its INVITE, serialized. */
const okToCaller = () =>
  sent.flatMap(({ message: m, flow }) =>
    flow === udpCaller && m.kind === "response" && m.status === 200 && getCSeq(m)?.method === "INVITE"
      ? [Buffer.from(serializeMessage(m)).toString("latin1")]
      : [],
  );

describe("B2BUA: the caller's 2xx over UDP (RFC 3261 §13.3.1.4)", () => {
  it("the 2xx to the caller is retransmitted, T1 doubling, until its ACK, though the transaction keeps no copy (RFC 6026)", async () => {
    const b = b2bua(passThroughMedia);
    const req = invite();
    const result = layer.receiveRequest(req, fromUdpCaller);
    if (result.kind !== "new") throw new Error("no INVITE transaction");
    void b.onInvite(req, udpCaller, result.transaction as Parameters<B2bua["onInvite"]>[2]);
    await settle();
    await calleeResponds(200);
    expect(okToCaller()).toHaveLength(1);
    expect(result.transaction.state).toBe("accepted");
    expect(result.transaction.lastResponse).toBeUndefined();

    clock.advance(500);
    await settle();
    clock.advance(1000);
    await settle();
    const oks = okToCaller();
    expect(oks).toHaveLength(3);
    expect(new Set(oks).size).toBe(1);

    // The ACK for the 2xx (its own branch, §13.2.2.4) reaches the B2BUA: no more retransmissions.
    const tag = getTo(parseOk(oks[0]))?.tag;
    const ack = parseMessage(
      Buffer.from(
        `ACK sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-ack2xx\r\n` +
          `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=${tag}\r\n` +
          `Call-ID: ${getCallId(req)}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`,
      ),
    );
    if (!ack.ok || ack.message.kind !== "request") throw new Error("test ACK does not parse");
    const routed = layer.receiveRequest(ack.message, fromUdpCaller);
    expect(routed.kind).toBe("ack");
    b.onAck(ack.message);
    await settle();
    clock.advance(30_000);
    await settle();
    expect(okToCaller()).toHaveLength(3);
    expect(b.activeCalls).toBe(1);
  });
});

function parseOk(text: string | undefined): SipMessage {
  const r = parseMessage(Buffer.from(text ?? "", "latin1"));
  if (!r.ok) throw new Error("no 2xx to the caller");
  return r.message;
}
