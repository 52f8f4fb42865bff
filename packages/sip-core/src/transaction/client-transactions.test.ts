import { describe, expect, it } from "vitest";
import { serializeMessage } from "../message/serialize.js";
import type { SipMessage, SipResponse } from "../message/types.js";
import { FakeTimers } from "../timers.js";
import type { InviteClientTransaction } from "./invite-client-transaction.js";
import { getHeader as firstHeader } from "../headers/header-list.js";
import { getCSeq as cseqOf, getTo } from "../headers/typed.js";

const toTag = (m: Parameters<typeof getTo>[0]) => getTo(m)?.tag;
import type { NonInviteClientTransaction } from "./non-invite-client-transaction.js";
import { isRequest, makeRequest, makeResponse, recordStates, RecordingTransport } from "./test-fixtures.js";
import { TransactionLayer } from "./transaction-layer.js";

function setup(method: string, reliable = false, config = {}) {
  const clock = new FakeTimers();
  const layer = new TransactionLayer({ timers: clock, config });
  const transport = new RecordingTransport(reliable, clock);
  const request = makeRequest({
    method,
    branch: "z9hG4bKclient1",
    extra: [{ name: "Route", key: "route", value: "<sip:proxy.example.com;lr>" }],
  });
  const tx = layer.createClientTransaction(request, transport);
  const states = recordStates(tx);
  const responses: SipResponse[] = [];
  const events: string[] = [];
  tx.on("response.received", (r) => responses.push(r));
  tx.on("transaction.timeout", () => events.push("timeout"));
  tx.on("transport.error", (e) => events.push(`transport.error:${e.code}`));
  return { clock, layer, transport, request, tx, states, responses, events };
}

describe("RFC 3261 §17.1.1 INVITE client transaction", () => {
  it("§17.1.1.2 Timer A doubles from T1 and Timer B times out after 64·T1 (unreliable)", () => {
    const { clock, transport, tx, states, events, layer } = setup("INVITE");
    (tx as InviteClientTransaction).start();
    clock.advance(32_000);
    expect(transport.times()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(transport.intervals()).toEqual([500, 1000, 2000, 4000, 8000, 16000]);
    expect(states).toEqual(["idle", "calling", "terminated"]);
    expect(events).toEqual(["timeout"]);
    expect(layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
    expect(clock.pending).toBe(0);
  });

  it("T1 is configurable: Timer A and B scale with it", () => {
    const { clock, transport, tx, events } = setup("INVITE", false, { t1: 100 });
    (tx as InviteClientTransaction).start();
    clock.advance(6_399);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(transport.intervals()).toEqual([100, 200, 400, 800, 1600, 3200]);
    expect(events).toEqual(["timeout"]);
  });

  it("§17.1.1.2 a provisional response stops retransmissions (Calling → Proceeding)", () => {
    const { clock, transport, tx, request, states, responses, layer } = setup("INVITE");
    (tx as InviteClientTransaction).start();
    clock.advance(600);
    layer.receiveResponse(makeResponse(request, 180, "b1"));
    clock.advance(100_000);
    expect(transport.times()).toEqual([0, 500]);
    expect(states).toEqual(["idle", "calling", "proceeding"]);
    expect(responses.map((r) => r.status)).toEqual([180]);
    expect(tx.state).toBe("proceeding"); // no timer ends Proceeding: the TU cancels (Timer C is a proxy's)
  });

  it("RFC 6026: a 2xx leads to Accepted; 2xx retransmissions reach the TU until Timer M", () => {
    const { clock, transport, tx, request, states, responses, layer } = setup("INVITE");
    (tx as InviteClientTransaction).start();
    layer.receiveResponse(makeResponse(request, 100));
    layer.receiveResponse(makeResponse(request, 200, "b1"));
    layer.receiveResponse(makeResponse(request, 200, "b1"));
    layer.receiveResponse(makeResponse(request, 200, "b2")); // another fork
    expect(responses.map((r) => `${r.status}/${toTag(r) ?? ""}`)).toEqual([
      "100/",
      "200/b1",
      "200/b1",
      "200/b2",
    ]);
    expect(transport.sent).toHaveLength(1); // the transaction never ACKs a 2xx (§13.2.2.4)
    clock.advance(31_999);
    expect(tx.state).toBe("accepted");
    clock.advance(1);
    expect(states).toEqual(["idle", "calling", "proceeding", "accepted", "terminated"]);
    expect(layer.receiveResponse(makeResponse(request, 200, "b1")).kind).toBe("stray");
    expect(layer.size.client).toBe(0);
  });

  it("§17.1.1.3 a non-2xx final is ACKed by the transaction; retransmissions are re-ACKed, not passed up", () => {
    const { clock, transport, tx, request, states, responses, layer } = setup("INVITE");
    (tx as InviteClientTransaction).start();
    const busy = makeResponse(request, 486, "b9");
    layer.receiveResponse(busy);
    layer.receiveResponse(busy);
    expect(responses.map((r) => r.status)).toEqual([486]);
    const acks = transport.sent.filter((s) => isRequest("ACK")(s.message)).map((s) => s.message);
    expect(acks).toHaveLength(2);
    // The repeat is the same ACK, byte for byte, sent again from its serialized form.
    expect(Buffer.from(serializeMessage(acks[1] as SipMessage))).toEqual(
      Buffer.from(serializeMessage(acks[0] as SipMessage)),
    );
    const ack = acks[0];
    if (ack?.kind !== "request") throw new Error("no ACK sent");
    expect(ack.uri).toBe(request.uri);
    expect(ack.headers.filter((h) => h.key === "via").map((h) => h.value)).toEqual([
      firstHeader(request, "via"),
    ]);
    expect(toTag(ack)).toBe("b9");
    expect(cseqOf(ack)).toEqual({ seq: 1, method: "ACK" });
    expect(firstHeader(ack, "route")).toBe("<sip:proxy.example.com;lr>");
    expect(firstHeader(ack, "from")).toBe(firstHeader(request, "from"));
    expect(firstHeader(ack, "call-id")).toBe(firstHeader(request, "call-id"));
    clock.advance(31_999);
    expect(tx.state).toBe("completed");
    clock.advance(1); // Timer D = 32 s
    expect(states).toEqual(["idle", "calling", "completed", "terminated"]);
  });

  it("§17.1.1.2 reliable transport: no retransmission, Timer D is zero", () => {
    const { clock, transport, tx, request, states, layer } = setup("INVITE", true);
    (tx as InviteClientTransaction).start();
    clock.advance(10_000);
    expect(transport.times()).toEqual([0]);
    layer.receiveResponse(makeResponse(request, 603, "b1"));
    expect(states).toEqual(["idle", "calling", "completed", "terminated"]);
    expect(transport.sent.filter((s) => isRequest("ACK")(s.message))).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it("§17.1.4 a transport error in Calling terminates and informs the TU (sync throw and async rejection)", async () => {
    const sync = setup("INVITE");
    sync.transport.failure = new Error("ECONNREFUSED");
    (sync.tx as InviteClientTransaction).start();
    expect(sync.events).toEqual(["transport.error:SIP_ERR_TRANSPORT"]);
    expect(sync.states).toEqual(["idle", "calling", "terminated"]);
    expect(sync.layer.size.client).toBe(0);

    const later = setup("INVITE", true);
    later.transport.failure = new Error("EPIPE");
    later.transport.async = true;
    (later.tx as InviteClientTransaction).start();
    await Promise.resolve();
    await Promise.resolve();
    expect(later.events).toEqual(["transport.error:SIP_ERR_TRANSPORT"]);
    expect(later.tx.state).toBe("terminated");
  });
});

describe("RFC 3261 §17.1.2 non-INVITE client transaction", () => {
  it("§17.1.2.2 Timer E doubles up to T2 (500, 1000, 2000, 4000, 4000 ms), Timer F times out", () => {
    const { clock, transport, tx, states, events } = setup("OPTIONS");
    (tx as NonInviteClientTransaction).start();
    clock.advance(32_000);
    expect(transport.intervals().slice(0, 5)).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(transport.intervals().every((i) => i <= 4000)).toBe(true);
    expect(transport.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(states).toEqual(["idle", "trying", "terminated"]);
    expect(events).toEqual(["timeout"]);
  });

  it("§17.1.2.2 in Proceeding Timer E fires every T2", () => {
    const { clock, transport, tx, request, states, layer, responses } = setup("REGISTER");
    (tx as NonInviteClientTransaction).start();
    clock.advance(100);
    layer.receiveResponse(makeResponse(request, 100));
    clock.advance(15_000);
    expect(transport.intervals()).toEqual([500, 4000, 4000, 4000]);
    expect(states).toEqual(["idle", "trying", "proceeding"]);
    layer.receiveResponse(makeResponse(request, 200, "x"));
    layer.receiveResponse(makeResponse(request, 200, "x")); // absorbed in Completed
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    clock.advance(4_999);
    expect(tx.state).toBe("completed");
    clock.advance(1); // Timer K = T4
    expect(states).toEqual(["idle", "trying", "proceeding", "completed", "terminated"]);
    expect(layer.size.client).toBe(0);
  });

  it("reliable transport: no retransmission and Timer K is zero", () => {
    const { clock, transport, tx, request, states, layer } = setup("BYE", true);
    (tx as NonInviteClientTransaction).start();
    clock.advance(20_000);
    expect(transport.times()).toEqual([0]);
    layer.receiveResponse(makeResponse(request, 200, "x"));
    expect(states).toEqual(["idle", "trying", "completed", "terminated"]);
    expect(clock.pending).toBe(0);
  });

  it("T2 and T4 are configurable", () => {
    const { clock, transport, tx, request, layer } = setup("MESSAGE", false, { t2: 1000, t4: 2000 });
    (tx as NonInviteClientTransaction).start();
    clock.advance(5_000);
    expect(transport.intervals()).toEqual([500, 1000, 1000, 1000, 1000]);
    layer.receiveResponse(makeResponse(request, 404, "x"));
    clock.advance(1_999);
    expect(tx.state).toBe("completed");
    clock.advance(1);
    expect(tx.state).toBe("terminated");
  });

  it("§17.1.4 a transport error on a retransmission terminates and informs the TU", () => {
    const { clock, transport, tx, states, events } = setup("OPTIONS");
    (tx as NonInviteClientTransaction).start();
    transport.failure = new Error("ENETUNREACH");
    clock.advance(500);
    expect(events).toEqual(["transport.error:SIP_ERR_TRANSPORT"]);
    expect(states).toEqual(["idle", "trying", "terminated"]);
    expect(clock.pending).toBe(0);
  });
});
