import {
  createAckForNonSuccess,
  createCancel,
  createResponse,
  getCSeq,
  parseMessage,
  TransactionLayer,
  type SipMessage,
  type SipRequest,
} from "@hookline/sip-core";
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
const recorders: CallRecorder[] = [];

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
  // Call records are written in batches: write what is queued before the database closes.
  for (const r of recorders.splice(0)) r.flush();
  temp.close();
});

function recorded(r: CallRecorder): CallRecorder {
  recorders.push(r);
  return r;
}

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
    recorder: recorded(new CallRecorder(temp.database.db, undefined)),
    send: async (message, flow) => void sent.push({ message, flow }),
    transportFor,
    localAddress: () => ({ transport: "TCP", host: "127.0.0.1", port: 5060 }),
    ringTimeoutMs: 60_000,
    t1Ms: 500,
    media,
    ...(onNewCall && { onNewCall }),
  });
}

const fromCaller = { reliable: true, send: (m: SipMessage) => void sent.push({ message: m, flow: caller }) };

/** Starts a call the way the gateway does: a new INVITE server transaction handed to onInvite. */
async function call(b: B2bua): Promise<SipRequest> {
  const req = invite();
  const result = layer.receiveRequest(req, fromCaller);
  if (result.kind !== "new" || result.transaction.method !== "INVITE")
    throw new Error("no INVITE transaction");
  await b.onInvite(req, caller, result.transaction as Parameters<B2bua["onInvite"]>[2]);
  return req;
}

/** The caller CANCELs its INVITE, the way the gateway routes it (RFC 3261 §9.2). */
function cancelFromCaller(b: B2bua, req: SipRequest): void {
  const cancel = createCancel(req);
  const result = layer.receiveRequest(cancel, fromCaller);
  if (result.kind !== "new") throw new Error("no CANCEL transaction");
  b.onCancel(cancel, result.transaction, layer.findInviteForCancel(cancel));
}

const sentToCallee = (method: string) =>
  sent.filter((s) => s.flow === callee && s.message.kind === "request" && s.message.method === method);

/** The callee answers its INVITE with `status` (responses go through the media chain: let it run). */
async function calleeResponds(status: number): Promise<void> {
  const inv = sentToCallee("INVITE")[0]?.message;
  if (inv?.kind !== "request") throw new Error("the callee got no INVITE");
  layer.receiveResponse(createResponse(inv, status, undefined, { toTag: "callee" }));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The final statuses the caller got to its INVITE. */
const finalToCaller = () =>
  sent.flatMap(({ message: m, flow }) =>
    flow === caller && m.kind === "response" && m.status >= 200 && getCSeq(m)?.method === "INVITE"
      ? [m.status]
      : [],
  );

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
    const req = await call(b);
    expect(finalToCaller()).toEqual([500]);
    expect(b.activeCalls).toBe(0);
    // The caller ACKs the 500 (TCP: the transaction ends at once); nothing of the call is kept.
    const res = sent.find((x) => x.message.kind === "response" && x.message.status === 500)?.message;
    if (res?.kind !== "response") throw new Error("no 500");
    layer.receiveRequest(createAckForNonSuccess(req, res), fromCaller);
    expect(layer.size.server).toBe(0);
    expect(b.pendingInvites).toBe(0);
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

describe("B2BUA: CANCEL reaches a callee that has only sent 100 Trying, or nothing yet (RFC 3261 §9.1)", () => {
  it("a CANCEL after the callee's 100 Trying is sent to the callee at once", async () => {
    const b = b2bua(passThroughMedia);
    const req = await call(b);
    await calleeResponds(100);
    cancelFromCaller(b, req);
    expect(finalToCaller()).toEqual([487]);
    expect(sentToCallee("CANCEL")).toHaveLength(1);
  });

  it("a CANCEL before any provisional is sent when the callee's 180 arrives, once", async () => {
    const b = b2bua(passThroughMedia);
    const req = await call(b);
    cancelFromCaller(b, req);
    expect(sentToCallee("CANCEL")).toHaveLength(0);
    await calleeResponds(180);
    await calleeResponds(180);
    expect(sentToCallee("CANCEL")).toHaveLength(1);
    expect(finalToCaller()).toEqual([487]);
  });
});
