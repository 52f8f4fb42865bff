import { parseMessage, type SipRequest, type SipResponse } from "@hookline/sip-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CallDirectory } from "./b2bua/b2bua.js";
import type { CallRecorder } from "./b2bua/call-recorder.js";
import { Gateway, type RegistrarPort } from "./gateway.js";
import type { Flow } from "./transport/types.js";

const tcp: Flow = { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5999, connectionId: "c1" };

function request(lines: string[]): SipRequest {
  const r = parseMessage(Buffer.from(`${lines.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`));
  if (!r.ok || r.message.kind !== "request") throw new Error("test request does not parse");
  return r.message;
}

/** A gateway that never listens: messages go in through `stack.receive`, sends are captured. */
function gateway(registrar: RegistrarPort, canAcceptCalls?: () => boolean) {
  const g = new Gateway({
    ...(canAcceptCalls && { canAcceptCalls }),
    listenIp: "127.0.0.1",
    publicIp: "127.0.0.1",
    sipPort: 0,
    wsPort: 0,
    directory: {} as CallDirectory,
    recorder: {} as CallRecorder,
    registrar,
  });
  const sent: string[] = [];
  g.transports.send = (_flow, data) => {
    sent.push(Buffer.from(data).toString("utf8"));
    // The peer is gone (a TCP connection reset, a closed WebSocket).
    return Promise.reject(new Error("connection is gone"));
  };
  return { g, sent };
}

/** Unhandled rejections seen while a test runs (each one would end the process in production). */
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const noRegistrar: RegistrarPort = {
  handle: () => Promise.reject(new Error("not used")),
  connectionClosed: () => {},
};

describe("Gateway: failures after the request was accepted never escape", () => {
  it("a request without Via whose 400 cannot be sent does not crash the process", async () => {
    const { g, sent } = gateway(noRegistrar);
    const viaLess = request([
      "OPTIONS sip:gw@127.0.0.1 SIP/2.0",
      "From: <sip:probe@example.com>;tag=1",
      "To: <sip:gw@127.0.0.1>",
      "Call-ID: no-via@test",
      "CSeq: 1 OPTIONS",
    ]);
    g.stack.receive({ ok: true, message: viaLess }, tcp);
    await settle();
    expect(sent[0]).toMatch(/^SIP\/2\.0 400 /);
    expect(unhandled).toEqual([]);
  });

  it("a REGISTER answered after the transaction layer shut down does not crash the process", async () => {
    let answer: ((res: SipResponse) => void) | undefined;
    const registrar: RegistrarPort = {
      handle: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
      connectionClosed: () => {},
    };
    const { g } = gateway(registrar);
    const register = request([
      "REGISTER sip:example.com SIP/2.0",
      "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-reg1",
      "From: <sip:alice@example.com>;tag=1",
      "To: <sip:alice@example.com>",
      "Call-ID: reg@test",
      "CSeq: 1 REGISTER",
    ]);
    g.stack.receive({ ok: true, message: register }, tcp);
    expect(answer).toBeDefined();
    g.layer.shutdown();
    const ok = parseMessage(
      Buffer.from(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-reg1\r\n" +
          "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>;tag=2\r\n" +
          "Call-ID: reg@test\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
      ),
    );
    if (!ok.ok || ok.message.kind !== "response") throw new Error("test response does not parse");
    answer?.(ok.message);
    await settle();
    expect(unhandled).toEqual([]);
  });
});

describe("Gateway: new calls while the database cannot write", () => {
  it("answers a new INVITE 503 with Retry-After before the B2BUA sees it, and takes calls again after", async () => {
    let writable = false;
    // The directory is empty: a call reaching the B2BUA would fail there, not with 503.
    const { g, sent } = gateway(noRegistrar, () => writable);
    const invite = (n: number) =>
      request([
        `INVITE sip:bob@example.com SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-full-${n}`,
        "Max-Forwards: 70",
        "From: <sip:alice@example.com>;tag=a",
        "To: <sip:bob@example.com>",
        `Call-ID: full-${n}@test`,
        "CSeq: 1 INVITE",
      ]);
    g.stack.receive({ ok: true, message: invite(1) }, tcp);
    await settle();
    expect(sent[0]).toMatch(/^SIP\/2\.0 503 Service Unavailable\r\n/);
    expect(sent[0]).toMatch(/\r\nRetry-After: 60\r\n/);
    expect(g.refusedCalls).toBe(1);
    writable = true;
    g.stack.receive({ ok: true, message: invite(2) }, tcp);
    await settle();
    expect(sent.slice(1).some((m) => m.startsWith("SIP/2.0 503"))).toBe(false);
    expect(g.refusedCalls).toBe(1);
    g.layer.shutdown();
  });
});
