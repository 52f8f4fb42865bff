/**
 * The wait timers of finished transactions (RFC 3261 §17 Timers D, I, J, K; RFC 6026 Timers L, M)
 * kept in the layer's queue: one timer for all of them, each transaction still ending when its own
 * timer would have.
 */
import { describe, expect, it } from "vitest";
import type { SipRequest } from "../message/types.js";
import { FakeTimers } from "../timers.js";
import type { TimerHandle, Timers } from "../timers.js";
import { makeRequest, makeResponse, recordStates, RecordingTransport } from "./test-fixtures.js";
import { TransactionLayer } from "./transaction-layer.js";
import type { ClientTransaction, ServerTransaction } from "./transaction-layer.js";
import { WaitQueue } from "./wait-queue.js";

function setup(timers?: Timers) {
  const clock = new FakeTimers();
  const layer = new TransactionLayer({ timers: timers ?? clock, autoTryingMs: false });
  return { clock, layer, transport: new RecordingTransport(false, clock) };
}
type Setup = ReturnType<typeof setup>;

/** A BYE from the peer answered 200: Completed on Timer J (§17.2.2). */
function served(s: Setup, i: number): ServerTransaction {
  const bye = makeRequest({ method: "BYE", branch: `z9hG4bKs${i}` });
  const result = s.layer.receiveRequest(bye, s.transport);
  if (result.kind !== "new") throw new Error(result.kind);
  result.transaction.respond(makeResponse(bye, 200, "t"));
  return result.transaction;
}

/** A BYE sent and answered 200: Completed on Timer K (§17.1.2.2). */
function asked(s: Setup, i: number): ClientTransaction {
  const bye: SipRequest = makeRequest({ method: "BYE", branch: `z9hG4bKc${i}` });
  const tx = s.layer.createClientTransaction(bye, s.transport);
  tx.start();
  s.layer.receiveResponse(makeResponse(bye, 200, "t"));
  return tx;
}

describe("finished transactions wait in the layer's queue", () => {
  it("a hundred finished transactions hold one timer; each ends with its own Timer J or K", () => {
    const s = setup();
    const servers = Array.from({ length: 50 }, (_, i) => served(s, i));
    const clients = Array.from({ length: 50 }, (_, i) => asked(s, i));
    expect(servers.every((tx) => tx.state === "completed")).toBe(true);
    expect(clients.every((tx) => tx.state === "completed")).toBe(true);
    expect(s.clock.pending).toBe(1);
    expect((servers[0] as unknown as { runningTimers: string[] }).runningTimers).toEqual(["J"]);

    s.clock.advance(5_000); // T4: Timer K
    expect(clients.every((tx) => tx.terminated)).toBe(true);
    expect(servers.every((tx) => tx.state === "completed")).toBe(true);
    expect(s.layer.size).toEqual({ client: 0, server: 50, rfc2543Acks: 0 });

    s.clock.advance(27_000); // 64·T1: Timer J
    expect(servers.every((tx) => tx.terminated)).toBe(true);
    expect(s.layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
    expect(s.clock.pending).toBe(0);
  });

  it("a transaction that ended before its wait ran out ends once, and the others still run out", () => {
    const s = setup();
    const first = served(s, 1);
    const second = served(s, 2);
    const states = recordStates(first);
    first.terminate();
    s.clock.advance(32_000);
    expect(states).toEqual(["completed", "terminated"]);
    expect(second.terminated).toBe(true);
    expect(s.layer.size.server).toBe(0);
  });

  it("shutdown stops the queue's timer", () => {
    const s = setup();
    served(s, 1);
    asked(s, 1);
    s.layer.shutdown();
    expect(s.clock.pending).toBe(0);
    expect(s.layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
  });

  it("timers without a clock give each wait a timer of its own, with the same outcome", () => {
    const clock = new FakeTimers();
    const noClock: Timers = {
      setTimer: (ms, fn) => clock.setTimer(ms, fn),
      clearTimer: (handle: TimerHandle) => clock.clearTimer(handle),
    };
    const s = { ...setup(noClock), clock, transport: new RecordingTransport(false, clock) };
    const txs = [served(s, 1), served(s, 2), asked(s, 3)];
    expect(clock.pending).toBe(3);
    clock.advance(32_000);
    expect(txs.every((tx) => tx.terminated)).toBe(true);
    expect(s.layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
  });
});

describe("WaitQueue", () => {
  it("runs waits out in order across durations, and those added while running out later", () => {
    const clock = new FakeTimers();
    const queue = new WaitQueue(clock);
    const out: string[] = [];
    const item = (name: string, then?: () => void) => ({
      expire: () => {
        out.push(name);
        then?.();
      },
    });
    queue.add(
      30,
      item("a30", () => queue.add(30, item("d60"))),
    );
    queue.add(10, item("b10"));
    clock.advance(5);
    queue.add(10, item("c15"));
    expect(clock.pending).toBe(1);
    clock.advance(100);
    expect(out).toEqual(["b10", "c15", "a30", "d60"]);
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
