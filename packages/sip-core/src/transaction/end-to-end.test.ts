/**
 * Two UAs, each a TransactionLayer plus dialogs, joined by a lossy in-memory "UDP" link that runs
 * every message through the real serializer and parser. Checks that what the transaction and dialog
 * layers build is valid on the wire and that retransmission recovers from loss.
 */
import { describe, expect, it } from "vitest";
import { createResponse } from "../builders/builders.js";
import { generateBranch, generateTag } from "../builders/ids.js";
import { createRequest } from "../builders/builders.js";
import { createUacDialog, createUasDialog } from "../dialog/dialog.js";
import type { Dialog } from "../dialog/dialog.js";
import { parseMessage } from "../message/parse.js";
import { serializeMessage } from "../message/serialize.js";
import type { SipMessage, SipRequest, SipResponse } from "../message/types.js";
import { FakeTimers } from "../timers.js";
import type { IncomingRequestResult } from "./transaction-layer.js";
import { TransactionLayer } from "./transaction-layer.js";
import type { Transport } from "./transport.js";

interface Endpoint {
  layer: TransactionLayer;
  onRequest(result: IncomingRequestResult, request: SipRequest): void;
}

/** Delivers on the next virtual millisecond, dropping the messages `drop` picks. */
class Link {
  delivered: string[] = [];
  constructor(
    private readonly clock: FakeTimers,
    private readonly drop: (m: SipMessage, index: number) => boolean,
  ) {}
  #count = 0;

  transportTo(peer: () => Endpoint): Transport {
    return {
      reliable: false,
      send: (message) => {
        const bytes = serializeMessage(message);
        const index = this.#count++;
        if (this.drop(message, index)) return;
        this.clock.setTimer(1, () => {
          const parsed = parseMessage(bytes);
          if (!parsed.ok) throw new Error(`unparseable on the wire: ${parsed.error.message}`);
          const m = parsed.message;
          this.delivered.push(m.kind === "request" ? m.method : String(m.status));
          const target = peer();
          if (m.kind === "response") target.layer.receiveResponse(m);
          else
            target.onRequest(
              target.layer.receiveRequest(
                m,
                this.transportTo(() => this.#other(target)),
              ),
              m,
            );
        });
      },
    };
  }

  #peers: [Endpoint, Endpoint] | undefined;
  connect(a: Endpoint, b: Endpoint): void {
    this.#peers = [a, b];
  }
  #other(e: Endpoint): Endpoint {
    const [a, b] = this.#peers as [Endpoint, Endpoint];
    return e === a ? b : a;
  }
}

function scenario(drop: (m: SipMessage, index: number) => boolean) {
  const clock = new FakeTimers();
  const link = new Link(clock, drop);
  const log: string[] = [];
  let uasDialog: Dialog | undefined;
  const alice: Endpoint = { layer: new TransactionLayer({ timers: clock }), onRequest: () => undefined };
  const bob: Endpoint = {
    layer: new TransactionLayer({ timers: clock }),
    onRequest: (result, request) => {
      if (result.kind === "ack") {
        log.push("bob: ACK");
        return;
      }
      if (result.kind !== "new") return;
      log.push(`bob: ${request.method}`);
      const tx = result.transaction;
      if (request.method === "INVITE") {
        const tag = generateTag();
        const contact = [["Contact", "<sip:bob@192.0.2.2:5060>"]] as const;
        const ringing = createResponse(request, 180, undefined, { toTag: tag, headers: contact });
        uasDialog = (createUasDialog(request, ringing) as { ok: true; dialog: Dialog }).dialog;
        tx.respond(ringing);
        tx.respond(createResponse(request, 200, undefined, { toTag: tag, headers: contact }));
        uasDialog.confirm();
      } else {
        uasDialog?.receiveRequest(request);
        tx.respond(createResponse(request, 200));
        if (request.method === "BYE") uasDialog?.terminate();
      }
    },
  };
  link.connect(alice, bob);
  const toBob = link.transportTo(() => bob);
  const via = () => `SIP/2.0/UDP 192.0.2.1:5060;branch=${generateBranch()}`;
  const invite = createRequest({
    method: "INVITE",
    uri: "sip:bob@192.0.2.2",
    headers: [
      ["Via", via()],
      ["Max-Forwards", "70"],
      ["From", `"Alice" <sip:alice@example.com>;tag=${generateTag()}`],
      ["To", "<sip:bob@example.com>"],
      ["Call-ID", "e2e-call@192.0.2.1"],
      ["CSeq", "1 INVITE"],
      ["Contact", "<sip:alice@192.0.2.1:5060>"],
    ],
    body: "v=0\r\n",
    contentType: "application/sdp",
  });
  let uacDialog: Dialog | undefined;
  const tx = alice.layer.createClientTransaction(invite, toBob);
  tx.on("response.received", (response: SipResponse) => {
    log.push(`alice: ${response.status}`);
    if (response.status === 100) return;
    if (uacDialog === undefined) {
      const created = createUacDialog(invite, response);
      if (created.ok) uacDialog = created.dialog;
    } else {
      uacDialog.receiveResponse(response);
    }
    if (response.status === 200 && uacDialog !== undefined) {
      // §13.2.2.4: the UAC core ACKs every 2xx, straight to the transport.
      void toBob.send(uacDialog.createRequest("ACK", { via: via() }));
    }
  });
  tx.start();
  return {
    clock,
    link,
    log,
    alice,
    bob,
    toBob,
    via,
    dialogs: () => ({ uac: uacDialog, uas: uasDialog }),
  };
}

describe("end to end over the real parser and serializer (RFC 3261 §13, §17, §12)", () => {
  it("INVITE / 180 / 200 / ACK / BYE / 200 on a clean link, then every map drains", () => {
    const { clock, log, alice, bob, toBob, via, dialogs } = scenario(() => false);
    clock.advance(10);
    const { uac, uas } = dialogs();
    expect(uac?.state).toBe("confirmed");
    expect(uas?.state).toBe("confirmed");
    expect(uac?.id).toEqual(
      uas && { callId: uas.id.callId, localTag: uas.id.remoteTag, remoteTag: uas.id.localTag },
    );
    const bye = uac?.createRequest("BYE", { via: via() });
    if (bye === undefined) throw new Error("no dialog");
    const byeTx = alice.layer.createClientTransaction(bye, toBob);
    const byeStates: string[] = [];
    byeTx.on("state.changed", (s) => byeStates.push(s));
    byeTx.start();
    clock.advance(10);
    expect(byeStates).toEqual(["trying", "completed"]);
    expect(uas?.state).toBe("terminated");
    expect(log.filter((l) => l.startsWith("bob"))).toEqual(["bob: INVITE", "bob: ACK", "bob: BYE"]);
    expect(log.filter((l) => l.startsWith("alice"))).toEqual(["alice: 180", "alice: 200"]);
    clock.advance(64 * 500);
    expect(alice.layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
    expect(bob.layer.size).toEqual({ client: 0, server: 0, rfc2543Acks: 0 });
    expect(clock.pending).toBe(0);
  });

  it("a lost INVITE is retransmitted on Timer A and the call still sets up once", () => {
    const { clock, log, link } = scenario((m, index) => index === 0 && m.kind === "request");
    clock.advance(600);
    expect(link.delivered.slice(0, 1)).toEqual(["INVITE"]);
    expect(log.filter((l) => l === "bob: INVITE")).toHaveLength(1);
    expect(log).toContain("alice: 200");
    expect(log).toContain("bob: ACK");
  });

  it("a lost 486 is recovered by retransmission; the ACK is built by the client transaction and re-sent per copy", () => {
    const clock = new FakeTimers();
    let dropped = false;
    const link = new Link(clock, (m) => {
      if (!dropped && m.kind === "response" && m.status === 486) return (dropped = true);
      return false;
    });
    const alice: Endpoint = { layer: new TransactionLayer({ timers: clock }), onRequest: () => undefined };
    const bobStates: string[] = [];
    const bob: Endpoint = {
      layer: new TransactionLayer({ timers: clock, autoTryingMs: false }),
      onRequest: (result, request) => {
        if (result.kind !== "new") return;
        result.transaction.on("state.changed", (s) => bobStates.push(s));
        result.transaction.respond(createResponse(request, 486, undefined, { toTag: "busy" }));
      },
    };
    link.connect(alice, bob);
    const invite = createRequest({
      method: "INVITE",
      uri: "sip:bob@192.0.2.2",
      headers: [
        ["Via", `SIP/2.0/UDP 192.0.2.1:5060;branch=${generateBranch()}`],
        ["Max-Forwards", "70"],
        ["From", "<sip:alice@example.com>;tag=x"],
        ["To", "<sip:bob@example.com>"],
        ["Call-ID", "busy@192.0.2.1"],
        ["CSeq", "1 INVITE"],
        ["Contact", "<sip:alice@192.0.2.1>"],
      ],
    });
    const tx = alice.layer.createClientTransaction(
      invite,
      link.transportTo(() => bob),
    );
    const statuses: number[] = [];
    tx.on("response.received", (r) => statuses.push(r.status));
    tx.start();
    clock.advance(1_000);
    expect(statuses).toEqual([486]);
    // Bob repeats the 486 twice at t=501 (Timer G and the absorbed INVITE copy); Alice ACKs each
    // copy (§17.1.1.2) but passes only the first to her TU.
    expect(link.delivered).toEqual(["INVITE", "INVITE", "486", "486", "ACK", "ACK"]);
    expect(bobStates).toEqual(["completed", "confirmed"]);
    clock.advance(40_000);
    expect(alice.layer.size.client + bob.layer.size.server).toBe(0);
  });
});
