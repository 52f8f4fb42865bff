/**
 * Calls written the way the gateway writes them (through the real call store), for the calls
 * pages' tests: a two-leg call with digest authentication (INVITE/407/ACK/INVITE/100/180/200/
 * ACK/BYE), a failed one, and single messages for a live call.
 */
import { Hono } from "hono";
import { createCallStore, newId, sqliteStore, type CallStore, type Database } from "@hookline/db";
import type { CallState } from "@hookline/db";
import type { WebUser } from "../layout.js";
import { callPages, type CallsEnv } from "./index.js";

export const T0 = Date.parse("2026-03-01T10:00:00.000Z");

export const SDP =
  "v=0\r\no=- 4242 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
  "m=audio 40002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

/** The calls pages behind a stand-in for the session middleware that signs `user` in. */
export function pagesFor(db: Database, store: CallStore, user: WebUser, livePollMs = 10) {
  const app = new Hono<CallsEnv>();
  app.use("*", async (c, next) => {
    c.set("webUser", user);
    await next();
  });
  app.route("/", callPages({ store: sqliteStore(db), flushCallRecords: () => store.flush(), livePollMs }));
  return app;
}

export interface Recorded {
  id: string;
  legA: string;
  legB: string;
  seq: number;
}

export function startCall(
  store: CallStore,
  accountId: string,
  opts: { from?: string; to?: string; startedAt?: number; origin?: "inbound" | "api" } = {},
): Recorded {
  const id = newId("call");
  const startedAt = opts.startedAt ?? T0;
  store.insertCall({
    id,
    accountId,
    sipCallId: `${id}@caller`,
    from: opts.from ?? "sip:alice@acme.test",
    to: opts.to ?? "sip:bob@acme.test",
    origin: opts.origin ?? "inbound",
    state: "initiated",
    startedAt,
  });
  const leg = (direction: "inbound" | "outbound", source: string, remoteUri: string) => {
    const legId = newId("leg");
    store.insertLeg({
      id: legId,
      callId: id,
      direction,
      sipCallId: `${legId}@x`,
      localTag: "l",
      remoteTag: null,
      remoteUri,
      transport: "ws",
      source,
      trunkId: null,
      state: "trying",
      createdAt: startedAt,
      answeredAt: null,
      endedAt: null,
    });
    return legId;
  };
  const legA = leg("inbound", "127.0.0.1:50001", "sip:alice@acme.test");
  const legB = leg("outbound", "127.0.0.1:50002", "sip:bob@acme.test");
  return { id, legA, legB, seq: 0 };
}

type Msg = { leg: "A" | "B"; dir: "received" | "sent"; method?: string; status?: number; reason?: string };

export function message(
  store: CallStore,
  call: Recorded,
  m: Msg,
  extra: { headers?: Record<string, string>; body?: string; at?: number } = {},
): number {
  const seq = ++call.seq;
  const body = extra.body ?? null;
  store.insertMessage({
    callId: call.id,
    seq,
    legId: m.leg === "A" ? call.legA : call.legB,
    direction: m.dir,
    method: m.method ?? null,
    status: m.status ?? null,
    reason: m.reason ?? null,
    requestUri: m.method ? "sip:bob@acme.test" : null,
    cseq: `1 ${m.method ?? "INVITE"}`,
    at: extra.at ?? T0 + seq * 10,
    headers: {
      via: "SIP/2.0/WSS 127.0.0.1:50001;branch=z9hG4bK" + seq,
      "call-id": `${call.id}@caller`,
      cseq: `1 ${m.method ?? "INVITE"}`,
      ...(body !== null && { "content-type": "application/sdp" }),
      ...extra.headers,
    },
    bodySize: body === null ? 0 : Buffer.byteLength(body),
    body,
  });
  return seq;
}

/** The ladder the brief names: INVITE/407/INVITE/100/180/200/ACK/BYE, both legs. */
export const FULL_CALL: Msg[] = [
  { leg: "A", dir: "received", method: "INVITE" },
  { leg: "A", dir: "sent", status: 407, reason: "Proxy Authentication Required" },
  { leg: "A", dir: "received", method: "ACK" },
  { leg: "A", dir: "received", method: "INVITE" },
  { leg: "A", dir: "sent", status: 100, reason: "Trying" },
  { leg: "B", dir: "sent", method: "INVITE" },
  { leg: "B", dir: "received", status: 180, reason: "Ringing" },
  { leg: "A", dir: "sent", status: 180, reason: "Ringing" },
  { leg: "B", dir: "received", status: 200, reason: "OK" },
  { leg: "A", dir: "sent", status: 200, reason: "OK" },
  { leg: "A", dir: "received", method: "ACK" },
  { leg: "B", dir: "sent", method: "ACK" },
  { leg: "A", dir: "received", method: "BYE" },
  { leg: "B", dir: "sent", method: "BYE" },
  { leg: "B", dir: "received", status: 200, reason: "OK" },
  { leg: "A", dir: "sent", status: 200, reason: "OK" },
];

/** A finished two-leg call; the second INVITE carries credentials and every INVITE and 200 an SDP. */
export function recordFullCall(store: CallStore, accountId: string, startedAt = T0): Recorded {
  const call = startCall(store, accountId, { startedAt });
  FULL_CALL.forEach((m, i) => {
    const withSdp = m.method === "INVITE" || (m.status === 200 && i < 12);
    message(store, call, m, {
      ...(i === 3 && {
        headers: { "proxy-authorization": 'Digest username="alice", response="secret-hash"' },
      }),
      ...(withSdp && { body: SDP }),
      at: startedAt + (i + 1) * 10,
    });
  });
  end(store, call, "completed", startedAt);
  return call;
}

export function end(
  store: CallStore,
  call: Recorded,
  state: CallState,
  startedAt = T0,
  status?: number,
  reason?: string,
) {
  store.updateCall(call.id, {
    state,
    ...(state === "completed" && { answeredAt: startedAt + 90, endedAt: startedAt + 65_090 }),
    ...(state === "failed" && {
      endedAt: startedAt + 200,
      endStatus: status ?? null,
      endReason: reason ?? null,
    }),
  });
}

export const storeFor = (db: Database) => createCallStore(db, { maxDelayMs: 5 });
