/**
 * What a transaction keeps once it has its final response and only waits (RFC 3261 §17 Completed
 * and Confirmed, RFC 6026 Accepted): its key and at most the serialized message it may send again,
 * never the parsed request or responses. Checked with the garbage collector itself: a WeakRef to
 * every parsed message, a full collection while the wait timer still runs, and the message must be
 * gone; retransmissions are still answered, byte for byte as the first time.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../message/parse.js";
import { serializeMessage } from "../message/serialize.js";
import type { SipMessage, SipRequest, SipResponse } from "../message/types.js";
import { FakeTimers } from "../timers.js";
import type { InviteClientTransaction } from "./invite-client-transaction.js";
import type { InviteServerTransaction } from "./invite-server-transaction.js";
import { makeRequest, makeResponse } from "./test-fixtures.js";
import { TransactionLayer } from "./transaction-layer.js";
import type { ClientTransaction, ServerTransaction } from "./transaction-layer.js";
import type { Transport } from "./transport.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Records what went on the wire as bytes (latin1), never the message objects. */
class WireTransport implements Transport {
  readonly wire: string[] = [];
  constructor(readonly reliable: boolean) {}
  send(message: SipMessage): void {
    this.wire.push(Buffer.from(serializeMessage(message)).toString("latin1"));
  }
}

/** A message as it comes off a socket: parsed from bytes. */
function fromWire<M extends SipMessage>(message: M): M {
  const r = parseMessage(serializeMessage(message));
  if (!r.ok) throw new Error(r.error.message);
  return r.message as M;
}

/** Holds weak references only; `collected()` runs a full GC in a later job (WeakRef semantics). */
class Watch {
  readonly #refs: [string, WeakRef<object>][] = [];
  add(name: string, target: object): void {
    this.#refs.push([name, new WeakRef(target)]);
  }
  async alive(): Promise<string[]> {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    return this.#refs.filter(([, ref]) => ref.deref() !== undefined).map(([name]) => name);
  }
}

function setup(reliable = false) {
  const clock = new FakeTimers();
  const layer = new TransactionLayer({ timers: clock, autoTryingMs: false });
  return { clock, layer, transport: new WireTransport(reliable), watch: new Watch() };
}

type Setup = ReturnType<typeof setup>;

/** A server transaction for a fresh request, answered with `statuses`; keeps no reference itself. */
function serve(s: Setup, method: string, statuses: number[]): ServerTransaction {
  const request = fromWire(makeRequest({ method, branch: `z9hG4bK${method}srv` }));
  const result = s.layer.receiveRequest(request, s.transport);
  if (result.kind !== "new") throw new Error(result.kind);
  s.watch.add("request", request);
  for (const status of statuses) {
    const response = makeResponse(request, status, "t1");
    s.watch.add(`${status}`, response);
    result.transaction.respond(response);
  }
  return result.transaction;
}

/** A client transaction sent and answered with `statuses` from the wire. */
function ask(s: Setup, method: string, statuses: number[]): ClientTransaction {
  const request = fromWire(makeRequest({ method, branch: `z9hG4bK${method}cli` }));
  const tx = s.layer.createClientTransaction(request, s.transport);
  s.watch.add("request", request);
  tx.start();
  for (const status of statuses) {
    const response = fromWire(makeResponse(request, status, "t1"));
    s.watch.add(`${status}`, response);
    s.layer.receiveResponse(response);
  }
  return tx;
}

/** The request again, as a retransmission from the wire (the original is gone). */
const again = (method: string, branch: string, toTag?: string): SipRequest =>
  fromWire(makeRequest({ method, branch, toTag }));

describe("RFC 3261 §17.2.1 / RFC 6026: a finished INVITE server transaction keeps no parsed message", () => {
  it("Accepted (2xx): the INVITE and the 2xx are collected while Timer L runs; retransmitted INVITEs are absorbed", async () => {
    const s = setup();
    const tx = serve(s, "INVITE", [180, 200]);
    expect(await s.watch.alive()).toEqual([]);
    expect(tx.state).toBe("accepted");
    expect((tx as unknown as { runningTimers: string[] }).runningTimers).toEqual(["L"]);
    expect(s.layer.receiveRequest(again("INVITE", "z9hG4bKINVITEsrv"), s.transport).kind).toBe("absorbed");
    expect(s.transport.wire).toHaveLength(2);
    // The TU's own 2xx retransmission still passes (§13.3.1.4), from the TU's copy.
    (tx as InviteServerTransaction).respond(
      fromWire(makeResponse(makeRequest({ method: "INVITE", branch: "z9hG4bKINVITEsrv" }), 200, "t1")),
    );
    expect(s.transport.wire[2]).toBe(s.transport.wire[1]);
  });

  it("Completed (non-2xx): collected while Timers G and H run; Timer G and a retransmitted INVITE resend the same bytes; Confirmed", async () => {
    const s = setup();
    const tx = serve(s, "INVITE", [486]);
    expect(await s.watch.alive()).toEqual([]);
    expect(tx.state).toBe("completed");
    s.clock.advance(500); // Timer G
    s.layer.receiveRequest(again("INVITE", "z9hG4bKINVITEsrv"), s.transport);
    expect(s.transport.wire).toHaveLength(3);
    expect(new Set(s.transport.wire).size).toBe(1);
    expect(s.transport.wire[0]).toMatch(/^SIP\/2\.0 486 /);
    expect(s.layer.receiveRequest(again("ACK", "z9hG4bKINVITEsrv", "t1"), s.transport).kind).toBe("absorbed");
    expect(tx.state).toBe("confirmed");
    s.clock.advance(10_000);
    expect(s.transport.wire).toHaveLength(3);
  });
});

describe("RFC 3261 §17.2.2: a finished non-INVITE server transaction keeps only the final response's bytes", () => {
  it("Completed: the request and the responses are collected while Timer J runs; a retransmission gets the same bytes", async () => {
    const s = setup();
    const tx = serve(s, "BYE", [200]);
    expect(await s.watch.alive()).toEqual([]);
    expect(tx.state).toBe("completed");
    expect(tx.request).toBeUndefined();
    expect(tx.lastResponse).toBeUndefined();
    expect(s.layer.receiveRequest(again("BYE", "z9hG4bKBYEsrv"), s.transport).kind).toBe("absorbed");
    expect(s.transport.wire).toHaveLength(2);
    expect(s.transport.wire[1]).toBe(s.transport.wire[0]);
    s.clock.advance(32_000); // Timer J
    expect(tx.state).toBe("terminated");
  });

  it("a provisional response is kept parsed while Proceeding, and repeated", async () => {
    const s = setup();
    const tx = serve(s, "OPTIONS", [100]);
    expect(await s.watch.alive()).toEqual(["request", "100"]);
    s.layer.receiveRequest(again("OPTIONS", "z9hG4bKOPTIONSsrv"), s.transport);
    expect(s.transport.wire).toHaveLength(2);
    expect(s.transport.wire[1]).toBe(s.transport.wire[0]);
    expect(tx.state).toBe("proceeding");
  });
});

describe("RFC 3261 §17.1 / RFC 6026: a finished client transaction keeps no parsed message", () => {
  it("INVITE Accepted (2xx): collected while Timer M runs; a 2xx retransmission still reaches the TU", async () => {
    const s = setup();
    const tx = ask(s, "INVITE", [100, 180, 200]);
    let passed = 0;
    tx.on("response.received", () => passed++);
    expect(await s.watch.alive()).toEqual([]);
    expect(tx.state).toBe("accepted");
    s.layer.receiveResponse(
      fromWire(makeResponse(makeRequest({ method: "INVITE", branch: "z9hG4bKINVITEcli" }), 200, "t1")),
    );
    expect(passed).toBe(1);
  });

  it("INVITE Completed (non-2xx): collected while Timer D runs; a retransmitted final gets the same ACK bytes", async () => {
    const s = setup();
    const tx = ask(s, "INVITE", [486]) as InviteClientTransaction;
    expect(await s.watch.alive()).toEqual([]);
    expect(tx.state).toBe("completed");
    const final = fromWire(
      makeResponse(makeRequest({ method: "INVITE", branch: "z9hG4bKINVITEcli" }), 486, "t1"),
    );
    s.layer.receiveResponse(final);
    const acks = s.transport.wire.filter((w) => w.startsWith("ACK "));
    expect(acks).toHaveLength(2);
    expect(acks[1]).toBe(acks[0]);
    s.clock.advance(32_000); // Timer D
    expect(tx.state).toBe("terminated");
  });

  it("non-INVITE Completed: collected while Timer K runs, and the TU's listeners with them", async () => {
    const s = setup();
    const tx = byeWithListener(s);
    expect(await s.watch.alive()).toEqual([]);
    expect(tx.state).toBe("completed");
    expect(tx.request).toBeUndefined();
    s.clock.advance(5_000); // Timer K = T4
    expect(tx.state).toBe("terminated");
  });
});

/**
 * A BYE answered 200, whose TU listener closes over what the TU holds (here, the request): once
 * Completed no response can reach it any more (§17.1.2.2), so it must not keep that alive.
 */
function byeWithListener(s: Setup): ClientTransaction {
  const request = fromWire(makeRequest({ method: "BYE", branch: "z9hG4bKBYEcli" }));
  const tx = s.layer.createClientTransaction(request, s.transport);
  tx.on("response.received", (r: SipResponse) => void (r.status === 0 && request.uri));
  tx.start();
  s.watch.add("request", request);
  const ok = fromWire(makeResponse(request, 200, "t1"));
  s.watch.add("200", ok);
  s.layer.receiveResponse(ok);
  return tx;
}
