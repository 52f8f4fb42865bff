/**
 * The B2BUA on a fake clock and an in-memory wire, for its unit tests: alice calls bob, whose
 * contacts (devices) answer as each test says. Hooks reset the state before each test.
 */
import {
  createCancel,
  createResponse,
  getCSeq,
  FakeTimers,
  parseMessage,
  TransactionLayer,
  type SipMessage,
  type SipRequest,
  type Timers,
} from "@hookline/sip-core";
import { afterEach, beforeEach } from "vitest";
import { addTenant, DOMAIN, tempDatabase, type Tenant } from "../registrar/test-support.js";
import type { Flow } from "../transport/types.js";
import { B2bua, type CallDirectory } from "./b2bua.js";
import { CallRecorder } from "./call-recorder.js";
import type { MediaPort } from "./media-port.js";
import type { CallRouter } from "./ports.js";

export const caller: Flow = {
  transport: "tcp",
  remoteAddress: "127.0.0.1",
  remotePort: 5070,
  connectionId: "a",
};
export const callee: Flow = {
  transport: "tcp",
  remoteAddress: "127.0.0.1",
  remotePort: 5080,
  connectionId: "b",
};
/** bob's contacts: `callee` and, for forking, more devices on ports 5081, 5082... */
export const devices: Flow[] = [0, 1, 2].map((i) =>
  i === 0
    ? callee
    : { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5080 + i, connectionId: `b${i}` },
);
export const device = (i: number): Flow => devices[i]!;
let contacts = 1;
/** How many contacts bob has registered (1 unless a test says otherwise). */
export function setContacts(n: number): void {
  contacts = n;
}

export const OFFER =
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

/** The caller's INVITE; with `sdp` empty, a late offer (RFC 3261 §13.2.1). */
export function invite(sdp = OFFER): SipRequest {
  const text =
    `INVITE sip:bob@${DOMAIN} SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-${Math.random().toString(36).slice(2)}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a1\r\nTo: <sip:bob@${DOMAIN}>\r\n` +
    `Call-ID: ${Math.random().toString(36).slice(2)}@test\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:alice@127.0.0.1:5070;transport=tcp>\r\n` +
    (sdp ? "Content-Type: application/sdp\r\n" : "") +
    `Content-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== "request") throw new Error("test INVITE does not parse");
  return r.message;
}

export let temp: ReturnType<typeof tempDatabase>;
export let tenant: Tenant;
export let layer: TransactionLayer;
export let clock: FakeTimers;
export let sent: { message: SipMessage; flow: Flow }[];
export const recorders: CallRecorder[] = [];

beforeEach(() => {
  temp = tempDatabase();
  tenant = addTenant(temp.database, DOMAIN, { alice: "secret", bob: "hunter2" });
  clock = new FakeTimers();
  layer = new TransactionLayer({ timers: clock, autoTryingMs: false });
  sent = [];
  contacts = 1;
});
afterEach(() => {
  layer.shutdown();
  // Call records are written in batches: write what is queued before the database closes.
  for (const r of recorders.splice(0)) void r.flush(); // synchronous on SQLite
  temp.close();
});

export function recorded(r: CallRecorder): CallRecorder {
  recorders.push(r);
  return r;
}

/** `timers`: the fake clock unless a test wraps it. */
export function b2bua(
  media: MediaPort,
  onNewCall?: () => Promise<void>,
  router?: CallRouter,
  timers: Timers = clock,
): B2bua {
  const directory: CallDirectory = {
    findDomain: (name) =>
      name === DOMAIN ? { domainId: tenant.domainId, accountId: tenant.accountId, name } : undefined,
    lookup: () =>
      Array.from({ length: contacts }, (_, i) => ({
        contact: `sip:bob@127.0.0.1:${5080 + i};transport=tcp`,
        flow: device(i),
      })),
    userExists: (_d, user) => user === "bob",
    authenticate: () => Promise.resolve({ ok: true, username: "alice" }),
  };
  const transportFor = (flow: Flow) => ({
    reliable: true,
    send: (message: SipMessage) => void sent.push({ message, flow }),
  });
  return new B2bua({
    layer,
    directory,
    recorder: recorded(new CallRecorder(temp.database.db, undefined)),
    send: (message, flow) => {
      sent.push({ message, flow });
      return Promise.resolve();
    },
    transportFor,
    localAddress: () => ({ transport: "TCP", host: "127.0.0.1", port: 5060 }),
    timers,
    ringTimeoutMs: 60_000,
    t1Ms: 500,
    media,
    ...(onNewCall && { onNewCall }),
    ...(router && { router }),
  });
}

export const fromCaller = {
  reliable: true,
  send: (m: SipMessage) => void sent.push({ message: m, flow: caller }),
};

/** Starts a call the way the gateway does: a new INVITE server transaction handed to onInvite. */
export async function call(b: B2bua, sdp?: string): Promise<SipRequest> {
  const req = invite(sdp);
  const result = layer.receiveRequest(req, fromCaller);
  if (result.kind !== "new" || result.transaction.method !== "INVITE")
    throw new Error("no INVITE transaction");
  // onInvite settles when the call is over: the test goes on while it rings.
  void b.onInvite(req, caller, result.transaction as Parameters<B2bua["onInvite"]>[2]);
  await settle();
  return req;
}

/** The caller CANCELs its INVITE, the way the gateway routes it (RFC 3261 §9.2). */
export function cancelFromCaller(b: B2bua, req: SipRequest): void {
  const cancel = createCancel(req);
  const result = layer.receiveRequest(cancel, fromCaller);
  if (result.kind !== "new") throw new Error("no CANCEL transaction");
  b.onCancel(cancel, result.transaction, layer.findInviteForCancel(cancel));
}

export const sentToCallee = (method: string, i = 0) =>
  sent.filter((s) => s.flow === device(i) && s.message.kind === "request" && s.message.method === method);

/** Lets the promise chains (media plane, routing) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Contact `i` answers its INVITE with `status` (responses go through the media chain: let it run). */
export async function calleeResponds(status: number, i = 0): Promise<void> {
  const inv = sentToCallee("INVITE", i)[0]?.message;
  if (inv?.kind !== "request") throw new Error(`contact ${i} got no INVITE`);
  const contact = [["Contact", `<sip:bob@127.0.0.1:${5080 + i};transport=tcp>`]] as [string, string][];
  layer.receiveResponse(createResponse(inv, status, undefined, { toTag: `callee${i}`, headers: contact }));
  await settle();
}

/** The final statuses the caller got to its INVITE. */
export const finalToCaller = () =>
  sent.flatMap(({ message: m, flow }) =>
    flow === caller && m.kind === "response" && m.status >= 200 && getCSeq(m)?.method === "INVITE"
      ? [m.status]
      : [],
  );
