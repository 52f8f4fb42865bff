import { describe, expect, it } from "vitest";
import type { SipRequest } from "../message/types.js";
import { FakeTimers } from "../timers.js";
import { InvalidStateError } from "./errors.js";
import { InviteServerTransaction } from "./invite-server-transaction.js";
import { getTo } from "../headers/typed.js";
import { NonInviteServerTransaction } from "./non-invite-server-transaction.js";
import { isStatus, makeRequest, makeResponse, recordStates, RecordingTransport } from "./test-fixtures.js";
import { TransactionLayer } from "./transaction-layer.js";

function setup(method: string, reliable = false, autoTryingMs: number | false = false) {
  const clock = new FakeTimers();
  const layer = new TransactionLayer({ timers: clock, autoTryingMs });
  const transport = new RecordingTransport(reliable, clock);
  const request = makeRequest({ method, branch: "z9hG4bKserver1" });
  const result = layer.receiveRequest(request, transport);
  if (result.kind !== "new") throw new Error(`expected a new transaction, got ${result.kind}`);
  const tx = result.transaction;
  const states = recordStates(tx);
  const events: string[] = [];
  tx.on("transaction.timeout", () => events.push("timeout"));
  tx.on("transport.error", () => events.push("transport.error"));
  return { clock, layer, transport, request, tx, states, events };
}

function ackFor(request: SipRequest, tag: string): SipRequest {
  return makeRequest({ method: "ACK", branch: "z9hG4bKserver1", toTag: tag });
}

describe("RFC 3261 §17.2.1 INVITE server transaction", () => {
  it("sends 100 Trying after 200 ms when the TU has not answered", () => {
    const { clock, transport } = setup("INVITE", false, 200);
    clock.advance(199);
    expect(transport.sent).toHaveLength(0);
    clock.advance(1);
    const trying = transport.sent[0]?.message;
    expect(trying?.kind === "response" && trying.status).toBe(100);
    expect(trying && getTo(trying)?.tag).toBeUndefined();
  });

  it("no automatic 100 when the TU answers first", () => {
    const { clock, transport, tx, request } = setup("INVITE", false, 200);
    (tx as InviteServerTransaction).respond(makeResponse(request, 180, "t1"));
    clock.advance(1000);
    expect(transport.sent.map((s) => s.message.kind === "response" && s.message.status)).toEqual([180]);
  });

  it("a retransmitted INVITE gets the last provisional response again (absorbed, not passed up)", () => {
    const { transport, tx, request, layer } = setup("INVITE");
    expect(layer.receiveRequest(request, transport).kind).toBe("absorbed"); // nothing sent yet: nothing to repeat
    expect(transport.sent).toHaveLength(0);
    (tx as InviteServerTransaction).respond(makeResponse(request, 180, "t1"));
    expect(layer.receiveRequest(request, transport)).toEqual({ kind: "absorbed", transaction: tx });
    expect(transport.sent.map((s) => s.message.kind === "response" && s.message.status)).toEqual([180, 180]);
  });

  it("RFC 6026: 2xx → Accepted; INVITE retransmissions absorbed silently, TU 2xx retransmissions sent, ACK to TU, Timer L ends it", () => {
    const { clock, transport, tx, request, states, layer } = setup("INVITE");
    const invite = tx as InviteServerTransaction;
    const ok = makeResponse(request, 200, "t1");
    invite.respond(ok);
    expect(layer.receiveRequest(request, transport).kind).toBe("absorbed");
    expect(transport.sent).toHaveLength(1);
    invite.respond(ok); // the UAS core retransmits its 2xx (§13.3.1.4)
    expect(transport.sent).toHaveLength(2);
    expect(() => invite.respond(makeResponse(request, 486, "t1"))).toThrow(InvalidStateError);
    const acks: SipRequest[] = [];
    invite.on("ack.received", (a) => acks.push(a));
    const ack = ackFor(request, "t1");
    expect(layer.receiveRequest(ack, transport)).toEqual({ kind: "ack", request: ack, transaction: invite });
    expect(acks).toEqual([ack]);
    clock.advance(31_999);
    expect(invite.state).toBe("accepted");
    clock.advance(1); // Timer L = 64·T1
    expect(states).toEqual(["proceeding", "accepted", "terminated"]);
    expect(layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
  });

  it("non-2xx: Timer G retransmits (500, 1000, 2000, 4000, 4000) until the ACK; Confirmed; Timer I", () => {
    const { clock, transport, tx, request, states, layer } = setup("INVITE");
    (tx as InviteServerTransaction).respond(makeResponse(request, 486, "t1"));
    clock.advance(11_600);
    expect(transport.intervals(isStatus(486))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(layer.receiveRequest(request, transport).kind).toBe("absorbed"); // INVITE again → 486 again
    expect(transport.sent).toHaveLength(7);
    expect(layer.receiveRequest(ackFor(request, "t1"), transport).kind).toBe("absorbed");
    expect(layer.receiveRequest(ackFor(request, "t1"), transport).kind).toBe("absorbed");
    clock.advance(4_999);
    expect(transport.sent).toHaveLength(7); // G stopped by the ACK
    expect(tx.state).toBe("confirmed");
    clock.advance(1); // Timer I = T4
    expect(states).toEqual(["proceeding", "completed", "confirmed", "terminated"]);
    expect(layer.size.server).toBe(0);
  });

  it("Timer H: no ACK within 64·T1 → timeout to the TU", () => {
    const { clock, tx, request, states, events } = setup("INVITE");
    (tx as InviteServerTransaction).respond(makeResponse(request, 500, "t1"));
    clock.advance(32_000);
    expect(events).toEqual(["timeout"]);
    expect(states).toEqual(["proceeding", "completed", "terminated"]);
  });

  it("reliable transport: no Timer G, and Timer I is zero", () => {
    const { clock, transport, tx, request, states, layer } = setup("INVITE", true);
    (tx as InviteServerTransaction).respond(makeResponse(request, 404, "t1"));
    clock.advance(20_000);
    expect(transport.sent).toHaveLength(1);
    layer.receiveRequest(ackFor(request, "t1"), transport);
    expect(states).toEqual(["proceeding", "completed", "confirmed", "terminated"]);
    expect(clock.pending).toBe(0);
  });

  it("§17.2.4 a transport error terminates and informs the TU", () => {
    const { transport, tx, request, states, events } = setup("INVITE");
    transport.failure = new Error("EHOSTUNREACH");
    (tx as InviteServerTransaction).respond(makeResponse(request, 180, "t1"));
    expect(events).toEqual(["transport.error"]);
    expect(states).toEqual(["proceeding", "terminated"]);
  });

  it("RFC 6026: a transport error while Accepted is reported, the transaction stays", () => {
    const { transport, tx, request, events } = setup("INVITE");
    const invite = tx as InviteServerTransaction;
    invite.respond(makeResponse(request, 200, "t1"));
    transport.failure = new Error("EHOSTUNREACH");
    invite.respond(makeResponse(request, 200, "t1"));
    expect(events).toEqual(["transport.error"]);
    expect(invite.state).toBe("accepted");
  });
});

describe("RFC 3261 §17.2.2 non-INVITE server transaction", () => {
  it("Trying swallows retransmissions; Proceeding and Completed repeat the last response; Timer J", () => {
    const { clock, transport, tx, request, states, layer } = setup("OPTIONS");
    expect(layer.receiveRequest(request, transport).kind).toBe("absorbed");
    expect(transport.sent).toHaveLength(0);
    const nist = tx as NonInviteServerTransaction;
    nist.respond(makeResponse(request, 100));
    layer.receiveRequest(request, transport);
    nist.respond(makeResponse(request, 200, "t1"));
    layer.receiveRequest(request, transport);
    expect(transport.sent.map((s) => s.message.kind === "response" && s.message.status)).toEqual([
      100, 100, 200, 200,
    ]);
    expect(() => nist.respond(makeResponse(request, 200, "t1"))).toThrow(InvalidStateError);
    clock.advance(31_999);
    expect(tx.state).toBe("completed");
    clock.advance(1); // Timer J = 64·T1
    expect(states).toEqual(["trying", "proceeding", "completed", "terminated"]);
    expect(layer.size.server).toBe(0);
    expect(layer.receiveRequest(request, transport).kind).toBe("new"); // a late copy is new again
  });

  it("reliable transport: Timer J is zero", () => {
    const { clock, tx, request, states } = setup("REGISTER", true);
    (tx as NonInviteServerTransaction).respond(makeResponse(request, 200, "t1"));
    expect(states).toEqual(["trying", "completed", "terminated"]);
    expect(clock.pending).toBe(0);
  });

  it("§17.2.4 a transport error terminates and informs the TU", () => {
    const { transport, tx, request, states, events } = setup("BYE");
    transport.failure = new Error("ECONNRESET");
    (tx as NonInviteServerTransaction).respond(makeResponse(request, 200, "t1"));
    expect(events).toEqual(["transport.error"]);
    expect(states).toEqual(["trying", "completed", "terminated"]);
  });

  it("a listener that throws does not break the transaction (reported as a process warning)", async () => {
    const { tx, request, states } = setup("INFO", true);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    tx.on("state.changed", () => {
      throw new Error("boom");
    });
    (tx as NonInviteServerTransaction).respond(makeResponse(request, 200, "t1"));
    expect(states).toEqual(["trying", "completed", "terminated"]);
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    expect(warnings).toEqual([
      "listener for state.changed threw: Error: boom",
      "listener for state.changed threw: Error: boom",
    ]);
    expect(tx).toBeInstanceOf(NonInviteServerTransaction);
    expect(tx).not.toBeInstanceOf(InviteServerTransaction);
  });
});
