import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeTimers } from "../timers.js";
import { InvalidStateError } from "./errors.js";
import { InviteServerTransaction } from "./invite-server-transaction.js";
import { makeRequest, makeResponse, RecordingTransport } from "./test-fixtures.js";
import type { SipRequest } from "../message/types.js";
import { TransactionLayer } from "./transaction-layer.js";
import type { ServerTransaction } from "./transaction-layer.js";

function layerWith(reliable = false) {
  const clock = new FakeTimers();
  const layer = new TransactionLayer({ timers: clock, autoTryingMs: false });
  const transport = new RecordingTransport(reliable, clock);
  return { clock, layer, transport };
}

describe("RFC 3261 §17.1.3 matching responses to client transactions", () => {
  it("matches on top-Via branch and CSeq method; anything else is stray", () => {
    const { layer, transport } = layerWith();
    const invite = makeRequest({ method: "INVITE", branch: "z9hG4bKa" });
    const cancel = makeRequest({ method: "CANCEL", branch: "z9hG4bKa" });
    const inviteTx = layer.createClientTransaction(invite, transport);
    const cancelTx = layer.createClientTransaction(cancel, transport);
    inviteTx.start();
    cancelTx.start();
    expect(layer.receiveResponse(makeResponse(cancel, 200, "x"))).toEqual({
      kind: "matched",
      transaction: cancelTx,
    });
    expect(layer.receiveResponse(makeResponse(invite, 487, "x"))).toEqual({
      kind: "matched",
      transaction: inviteTx,
    });
    const other = makeRequest({ method: "INVITE", branch: "z9hG4bKb" });
    expect(layer.receiveResponse(makeResponse(other, 200, "x")).kind).toBe("stray");
    const noVia = { ...makeResponse(invite, 200), headers: [] };
    expect(layer.receiveResponse(noVia).kind).toBe("invalid");
  });

  it("refuses ACK, a missing branch and a duplicate branch (programming errors)", () => {
    const { layer, transport } = layerWith();
    expect(() =>
      layer.createClientTransaction(makeRequest({ method: "ACK", branch: "z9hG4bKa" }), transport),
    ).toThrow(InvalidStateError);
    expect(() => layer.createClientTransaction(makeRequest({ method: "OPTIONS" }), transport)).toThrow(
      /no branch/,
    );
    layer.createClientTransaction(makeRequest({ method: "OPTIONS", branch: "z9hG4bKa" }), transport);
    expect(() =>
      layer.createClientTransaction(makeRequest({ method: "OPTIONS", branch: "z9hG4bKa" }), transport),
    ).toThrow(expect.objectContaining({ code: "SIP_ERR_DUPLICATE_TRANSACTION" }));
  });
});

describe("RFC 3261 §17.2.3 matching requests to server transactions", () => {
  it("magic cookie: branch + sent-by + method; ACK matches the INVITE, CANCEL does not", () => {
    const { layer, transport } = layerWith();
    const invite = makeRequest({ method: "INVITE", branch: "z9hG4bKx" });
    const first = layer.receiveRequest(invite, transport);
    expect(first.kind).toBe("new");
    expect(layer.receiveRequest(invite, transport).kind).toBe("absorbed");
    // Same branch from another host is another transaction.
    expect(
      layer.receiveRequest(
        makeRequest({ method: "INVITE", branch: "z9hG4bKx", sentBy: "other:5060" }),
        transport,
      ).kind,
    ).toBe("new");
    // Sent-by host compares case-insensitively and ignores spacing.
    expect(
      layer.receiveRequest(
        makeRequest({ method: "INVITE", branch: "z9hG4bKx", sentBy: "PC33.example.com:5060" }),
        transport,
      ).kind,
    ).toBe("absorbed");
    const cancel = makeRequest({ method: "CANCEL", branch: "z9hG4bKx" });
    const cancelled = layer.receiveRequest(cancel, transport);
    expect(cancelled.kind).toBe("new");
    expect(layer.findInviteForCancel(cancel)).toBe(first.kind === "new" ? first.transaction : undefined);
    expect(layer.findInviteForCancel(makeRequest({ method: "CANCEL", branch: "z9hG4bKy" }))).toBeUndefined();
    if (first.kind !== "new" || !(first.transaction instanceof InviteServerTransaction))
      throw new Error("no INVITE");
    first.transaction.respond(makeResponse(invite, 487, "t"));
    expect(
      layer.receiveRequest(makeRequest({ method: "ACK", branch: "z9hG4bKx", toTag: "t" }), transport).kind,
    ).toBe("absorbed");
    expect(first.transaction.state).toBe("confirmed");
  });

  it("an ACK for a 2xx (own branch) matches nothing and goes to the TU", () => {
    const { layer, transport } = layerWith();
    const ack = makeRequest({ method: "ACK", branch: "z9hG4bKnew", toTag: "t" });
    expect(layer.receiveRequest(ack, transport)).toEqual({
      kind: "ack",
      request: ack,
      transaction: undefined,
    });
    expect(layer.size.server).toBe(0);
  });

  it("RFC 2543 fallback: Request-URI, tags, Call-ID, CSeq and top Via; the ACK must carry our To tag", () => {
    const { layer, transport } = layerWith();
    const invite = makeRequest({ method: "INVITE", branch: "old-style-1" });
    const created = layer.receiveRequest(invite, transport);
    if (created.kind !== "new" || !(created.transaction instanceof InviteServerTransaction))
      throw new Error("no INVITE");
    expect(
      layer.receiveRequest(makeRequest({ method: "INVITE", branch: "old-style-1" }), transport).kind,
    ).toBe("absorbed");
    expect(layer.receiveRequest(makeRequest({ method: "INVITE" }), transport).kind).toBe("new"); // other top Via
    expect(
      layer.receiveRequest(makeRequest({ method: "INVITE", branch: "old-style-1", cseq: 2 }), transport).kind,
    ).toBe("new");
    expect(
      layer.receiveRequest(
        makeRequest({ method: "INVITE", branch: "old-style-1", uri: "sip:carol@example.com" }),
        transport,
      ).kind,
    ).toBe("new");
    created.transaction.respond(makeResponse(invite, 486, "ours"));
    const wrongTag = makeRequest({ method: "ACK", branch: "old-style-1", toTag: "theirs" });
    expect(layer.receiveRequest(wrongTag, transport).kind).toBe("ack");
    expect(created.transaction.state).toBe("completed");
    expect(
      layer.receiveRequest(makeRequest({ method: "ACK", branch: "old-style-1", toTag: "ours" }), transport)
        .kind,
    ).toBe("absorbed");
    expect(created.transaction.state).toBe("confirmed");
    const cancel = makeRequest({ method: "CANCEL", branch: "old-style-1" });
    expect(layer.findInviteForCancel(cancel)).toBe(created.transaction);
    const bye = makeRequest({ method: "BYE", branch: "old-style-1", toTag: "ours", cseq: 3 });
    expect(layer.receiveRequest(bye, transport).kind).toBe("new");
    expect(layer.receiveRequest(bye, transport).kind).toBe("absorbed");
  });

  it("a request without Via or CSeq is invalid, not a crash", () => {
    const { layer, transport } = layerWith();
    const bad = makeRequest({ method: "OPTIONS", branch: "z9hG4bKq" });
    expect(
      layer.receiveRequest({ ...bad, headers: bad.headers.filter((h) => h.key !== "via") }, transport).kind,
    ).toBe("invalid");
    expect(
      layer.receiveRequest({ ...bad, headers: bad.headers.filter((h) => h.key !== "cseq") }, transport).kind,
    ).toBe("invalid");
  });
});

describe("TransactionLayer lifecycle: nothing leaks", () => {
  it("maps and timers are empty after every kind of transaction has terminated", () => {
    const { clock, layer, transport } = layerWith();
    const ict = layer.createClientTransaction(
      makeRequest({ method: "INVITE", branch: "z9hG4bK1" }),
      transport,
    );
    const nict = layer.createClientTransaction(
      makeRequest({ method: "OPTIONS", branch: "z9hG4bK2" }),
      transport,
    );
    ict.start();
    nict.start();
    const [istRequest, nistRequest, oldRequest] = [
      makeRequest({ method: "INVITE", branch: "z9hG4bK3" }),
      makeRequest({ method: "BYE", branch: "z9hG4bK4" }),
      makeRequest({ method: "INVITE", branch: "2543" }),
    ];
    const ist = layer.receiveRequest(istRequest, transport);
    const nist = layer.receiveRequest(nistRequest, transport);
    const old = layer.receiveRequest(oldRequest, transport);
    expect(layer.size).toEqual({ client: 2, server: 3, rfc2543Acks: 1 });
    if (ist.kind !== "new" || nist.kind !== "new" || old.kind !== "new") throw new Error("expected new");
    ist.transaction.respond(makeResponse(istRequest, 200, "t"));
    nist.transaction.respond(makeResponse(nistRequest, 200, "t"));
    old.transaction.respond(makeResponse(oldRequest, 603, "t"));
    clock.advance(64 * 500);
    expect(layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
    expect(clock.pending).toBe(0);
  });

  it("shutdown terminates everything at once", () => {
    const { clock, layer, transport } = layerWith();
    layer.createClientTransaction(makeRequest({ method: "INVITE", branch: "z9hG4bK1" }), transport).start();
    layer.receiveRequest(makeRequest({ method: "INVITE", branch: "z9hG4bK3" }), transport);
    layer.shutdown();
    expect(layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
    expect(clock.pending).toBe(0);
  });

  it("property: while a server transaction lives, no copy of its request reaches the TU again", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("request" as const), which: fc.integer({ min: 0, max: 2 }) }),
      fc.record({
        kind: fc.constant("respond" as const),
        which: fc.integer({ min: 0, max: 2 }),
        status: fc.constantFrom(100, 180, 200, 486),
      }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, reliable) => {
        const { clock, layer, transport } = layerWith(reliable);
        const requests = [
          makeRequest({ method: "INVITE", branch: "z9hG4bKp0" }),
          makeRequest({ method: "OPTIONS", branch: "z9hG4bKp1" }),
          makeRequest({ method: "INVITE", branch: "p2-rfc2543" }),
        ];
        const live = new Map<number, ServerTransaction>();
        for (const s of steps) {
          if (s.kind === "advance") {
            clock.advance(s.ms);
            continue;
          }
          const request = requests[s.which] as SipRequest;
          const tx = live.get(s.which);
          const alive = tx !== undefined && tx.state !== "terminated";
          if (s.kind === "request") {
            const result = layer.receiveRequest(request, transport);
            expect(result.kind).toBe(alive ? "absorbed" : "new");
            if (result.kind === "new") live.set(s.which, result.transaction);
          } else if (alive && (tx.state === "trying" || tx.state === "proceeding")) {
            tx.respond(makeResponse(request, s.status, "t"));
          }
        }
        layer.shutdown();
        expect(layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
