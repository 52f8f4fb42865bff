import { parseMessage, TransactionLayer, type SipMessage, type SipRequest } from "@hookline/sip-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addTenant, DOMAIN, tempDatabase, type Tenant } from "../registrar/test-support.js";
import type { Flow } from "../transport/types.js";
import { B2bua, type CallDirectory } from "./b2bua.js";
import { CallRecorder } from "./call-recorder.js";
import { passThroughMedia, type MediaPort } from "./media-port.js";

const caller: Flow = { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5070, connectionId: "a" };
const callee: Flow = { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5080, connectionId: "b" };

function invite(): SipRequest {
  const sdp =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
  const text =
    `INVITE sip:bob@${DOMAIN} SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-${Math.random().toString(36).slice(2)}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a1\r\nTo: <sip:bob@${DOMAIN}>\r\n` +
    `Call-ID: ${Math.random().toString(36).slice(2)}@test\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:alice@127.0.0.1:5070;transport=tcp>\r\n` +
    `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== "request") throw new Error("test INVITE does not parse");
  return r.message;
}

let temp: ReturnType<typeof tempDatabase>;
let tenant: Tenant;
let layer: TransactionLayer;
let sent: { message: SipMessage; flow: Flow }[];

beforeEach(() => {
  temp = tempDatabase();
  tenant = addTenant(temp.database, DOMAIN, { alice: "secret", bob: "hunter2" });
  layer = new TransactionLayer({
    timers: {
      setTimer: (ms, fn) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
    },
    autoTryingMs: false,
  });
  sent = [];
});
afterEach(async () => {
  layer.shutdown();
  // Call records are written once per event-loop turn.
  await new Promise((resolve) => setImmediate(resolve));
  temp.close();
});

function b2bua(media: MediaPort, onNewCall?: () => Promise<void>): B2bua {
  const directory: CallDirectory = {
    findDomain: (name) =>
      name === DOMAIN ? { domainId: tenant.domainId, accountId: tenant.accountId, name } : undefined,
    lookup: () => [{ contact: "sip:bob@127.0.0.1:5080;transport=tcp", flow: callee }],
    authenticate: async () => ({ ok: true, username: "alice" }),
  };
  const transportFor = (flow: Flow) => ({
    reliable: true,
    send: (message: SipMessage) => void sent.push({ message, flow }),
  });
  return new B2bua({
    layer,
    directory,
    recorder: new CallRecorder(temp.database.db, undefined),
    send: async (message, flow) => void sent.push({ message, flow }),
    transportFor,
    localAddress: () => ({ transport: "TCP", host: "127.0.0.1", port: 5060 }),
    ringTimeoutMs: 60_000,
    t1Ms: 500,
    media,
    ...(onNewCall && { onNewCall }),
  });
}

/** Starts a call the way the gateway does: a new INVITE server transaction handed to onInvite. */
async function call(b: B2bua): Promise<void> {
  const req = invite();
  const result = layer.receiveRequest(req, {
    reliable: true,
    send: (m) => void sent.push({ message: m, flow: caller }),
  });
  if (result.kind !== "new" || result.transaction.method !== "INVITE")
    throw new Error("no INVITE transaction");
  await b.onInvite(req, caller, result.transaction as Parameters<B2bua["onInvite"]>[2]);
}

const finalToCaller = () =>
  sent
    .filter((s) => s.flow === caller && s.message.kind === "response" && s.message.status >= 200)
    .map((s) => (s.message.kind === "response" ? s.message.status : 0));

describe("B2BUA: a call that fails inside the gateway is ended, not kept", () => {
  it("a media-plane failure that is not a refusal answers 500 and leaves no active call", async () => {
    const media: MediaPort = {
      ...passThroughMedia,
      offer: () => Promise.reject(new Error("mediasoup: no more available ports")),
    };
    const b = b2bua(media);
    await call(b);
    expect(finalToCaller()).toEqual([500]);
    expect(b.activeCalls).toBe(0);
  });

  it("an onNewCall hook that throws answers 500 and leaves no active call", async () => {
    const b = b2bua(passThroughMedia, () => Promise.reject(new Error("database is locked")));
    await call(b);
    expect(finalToCaller()).toEqual([500]);
    expect(b.activeCalls).toBe(0);
  });

  it("a media refusal toward every contact still answers 488 with the reason", async () => {
    const { MediaRefusedError } = await import("./media-port.js");
    const media: MediaPort = {
      ...passThroughMedia,
      offer: () => Promise.reject(new MediaRefusedError("no common audio codec")),
    };
    const b = b2bua(media);
    await call(b);
    expect(finalToCaller()).toEqual([488]);
    expect(b.activeCalls).toBe(0);
  });
});
