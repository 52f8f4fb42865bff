/**
 * Three nodes as `npm start` processes on 127.0.0.1, 127.0.0.2 and 127.0.0.3 on one PostgreSQL
 * (SPEC §2, docs/scale-out.md "Calls across nodes" and "Failure"): node 1 anchors a call to bob, a
 * phone registered over UDP on node 2, which relays it (Path, RFC 3327); node 3 alone delivers
 * the callbacks. `kill -9` of node 3 while deliveries are in flight loses nothing (a delivery node
 * started after it delivers the rest, each event under its webhook-id, in seq order), and `kill -9`
 * of node 1 mid-call has the call recorded failed with reason node-lost. A real throwaway
 * PostgreSQL (or HOOKLINE_TEST_POSTGRES_URL), a real HTTP receiver.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import dgram from "node:dgram";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { eq, first } from "@hookline/db";
import { openPostgres, pgSchema } from "@hookline/db/pg";
import { freshPostgresDatabase, stopPostgres } from "@hookline/db/testing/stores";
import {
  createAuthorization,
  createRequest,
  createResponse,
  getHeader,
  getRecordRoutes,
  parseMessage,
  serializeMessage,
  type SipRequest,
} from "@hookline/sip-core";
import { api, killed, killStartedNodes, startNode, TOKEN, until, type Node } from "./process-test-support.js";

const DOMAIN = "three.test";

interface Delivery {
  id: string;
  type: string;
  seq: number;
  callId: string;
  reason: string | undefined;
  body: string;
  /** It arrived while the receiver held requests (its sender may have died meanwhile). */
  held: boolean;
}

let dir: string | undefined;
afterEach(killStartedNodes);
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await stopPostgres();
}, 60_000);

/** A receiver that holds every request while `held` is set, until `release`. */
async function receiver() {
  const got: Delivery[] = [];
  let held = false;
  let holding = 0;
  let release = () => {};
  let gate = Promise.resolve();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const wasHeld = held;
      const arrived = () => {
        const e = JSON.parse(body) as {
          type: string;
          data: { seq: number; callId: string; call?: { reason?: string } };
        };
        got.push({
          id: String(req.headers["webhook-id"]),
          type: e.type,
          seq: e.data.seq,
          callId: e.data.callId,
          reason: e.data.call?.reason,
          body,
          held: wasHeld,
        });
        res.end("ok");
      };
      if (held) {
        holding++;
        void gate.then(arrived);
      } else arrived();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    got,
    /** Holds what arrives from now on, until `release`. */
    hold() {
      held = true;
      gate = new Promise<void>((r) => (release = r));
    },
    release() {
      held = false;
      release();
    },
    /** Requests held so far. */
    get holding() {
      return holding;
    },
    close: () => server.close(),
  };
}

/** bob, a phone on UDP: registers with digest (RFC 3261 §22) and rings at every INVITE. */
async function phone(user: string, registrar: { host: string; port: number }) {
  const socket = dgram.createSocket("udp4");
  const invites: Array<{ from: string; request: SipRequest }> = [];
  let registered: (status: number) => void = () => {};
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  const send = (m: Parameters<typeof serializeMessage>[0], to: { address: string; port: number }) =>
    socket.send(serializeMessage(m), to.port, to.address);
  const register = (cseq: number, authorization?: string) =>
    send(
      createRequest({
        method: "REGISTER",
        uri: `sip:${DOMAIN}`,
        headers: [
          ["Via", `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-reg-${cseq};rport`],
          ["Max-Forwards", "70"],
          ["From", `<sip:${user}@${DOMAIN}>;tag=reg`],
          ["To", `<sip:${user}@${DOMAIN}>`],
          ["Call-ID", `reg-${port}@127.0.0.1`],
          ["CSeq", `${cseq} REGISTER`],
          ["Contact", `<sip:${user}@127.0.0.1:${port}>`],
          ["Expires", "600"],
          ...(authorization ? [["Authorization", authorization] as [string, string]] : []),
        ],
      }),
      { address: registrar.host, port: registrar.port },
    );
  socket.on("message", (data, from) => {
    const r = parseMessage(data);
    if (!r.ok) return;
    const m = r.message;
    if (m.kind === "response") {
      const challenge = m.status === 401 ? getHeader(m, "www-authenticate") : undefined;
      if (challenge) {
        const auth = createAuthorization(challenge, {
          username: user,
          password: `${user}-secret`,
          method: "REGISTER",
          uri: `sip:${DOMAIN}`,
          nc: 1,
        });
        if (auth.ok) register(2, auth.value);
      } else registered(m.status);
      return;
    }
    if (m.method === "INVITE") {
      invites.push({ from: from.address, request: m });
      send(createResponse(m, 180, "Ringing", { toTag: "bob", copyRecordRoute: true }), from);
    } else if (m.method !== "ACK") send(createResponse(m, 200, "OK"), from);
  });
  const status = new Promise<number>((resolve) => (registered = resolve));
  register(1);
  return { invites, registered: status, close: () => socket.close() };
}

it("a call across nodes: node 1 anchors, node 2 relays to bob; node 3 killed mid-delivery loses nothing; node 1 killed mid-call is node-lost", async () => {
  dir = mkdtempSync(path.join(tmpdir(), "hookline-three-nodes-"));
  const url = await freshPostgresDatabase();
  const pg = await openPostgres({ url, max: 2 });
  const hooks = await receiver();
  const bob = { close: () => {} };
  try {
    const node = async (n: number, roles: string, id = `node-${n}`) => {
      const data = path.join(dir!, id);
      mkdirSync(data, { recursive: true });
      // Every node of a cluster shares the token secret (docs/scale-out.md).
      if (n !== 1) copyFileSync(path.join(dir!, "node-1", "token-secret"), path.join(data, "token-secret"));
      return startNode(data, {
        HOOKLINE_DATABASE_URL: url,
        HOOKLINE_LISTEN_IP: `127.0.0.${n}`,
        HOOKLINE_NODE_ID: id,
        HOOKLINE_ROLES: roles,
      });
    };
    const node1 = await node(1, "gateway,console");
    const node2 = await node(2, "gateway,console");
    let node3: Node = await node(3, "delivery");

    const account = await api(node1, "POST", "/v1/accounts", TOKEN, { name: "Three" });
    const key = account.apiKey as string;
    await api(node1, "POST", "/v1/domains", key, { name: DOMAIN });
    await api(node1, "POST", "/v1/credentials", key, {
      domain: DOMAIN,
      username: "bob",
      password: "bob-secret",
    });
    await api(node1, "POST", "/v1/callbacks", key, {
      url: hooks.url,
      events: ["call.initiated", "call.ringing", "call.failed"],
    });
    // The credential reaches node 2's directory mirror by notification: register until it is there.
    const registerBob = async () => {
      for (const end = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 100))) {
        const p = await phone("bob", { host: node2.host, port: node2.sip! });
        if ((await p.registered) === 200) return p;
        p.close();
        if (Date.now() > end) throw new Error("bob could not register on node 2");
      }
    };
    const bobPhone = await registerBob();
    bob.close = () => bobPhone.close();
    const { calls, registrations } = pgSchema;
    const [binding] = await pg.db.select().from(registrations);
    expect(binding).toMatchObject({ aor: `sip:bob@${DOMAIN}`, nodeId: "node-2" });

    // Deliveries are held from here: node 3 has them in flight when it dies.
    hooks.hold();
    const call = await until("the call started on node 1", async () => {
      try {
        return await api(node1, "POST", "/v1/calls", key, {
          to: "bob",
          timeout: 120,
          actions: [{ action: "hangup" }],
        });
      } catch (err) {
        // Node 1's mirror may not hold bob's binding yet: 480 until it does.
        if (/: 4\d\d /.test((err as Error).message)) return undefined;
        throw err;
      }
    });
    const callId = call.id as string;
    const invite = await until("bob's INVITE", () => bobPhone.invites[0]);
    // Relayed by node 2, which Record-Routes itself for the dialog (RFC 5658: once per side).
    expect(invite.from).toBe("127.0.0.2");
    expect(getRecordRoutes(invite.request).map((r) => r.uri)).toEqual([
      expect.stringMatching(/@127\.0\.0\.2:\d+;transport=udp;lr;hl$/),
      expect.stringMatching(/@127\.0\.0\.2:\d+;transport=tcp;lr;hl$/),
    ]);
    await until("the call in progress on node 1", async () => {
      const row = first(await pg.db.select().from(calls).where(eq(calls.id, callId)).limit(1));
      return row?.nodeId === "node-1" && row.endedAt === null ? row : undefined;
    });
    await until("a delivery held in flight", () => (hooks.holding > 0 ? true : undefined));

    await killed(node3);
    hooks.release();
    node3 = await node(3, "delivery", "node-3b");
    await killed(node1);

    // Node 3's lease on the delivery it had in flight (30 s) must run out before its lane moves on.
    const failed = await until(
      "call.failed delivered",
      () => hooks.got.find((d) => d.type === "call.failed" && d.callId === callId),
      120_000,
    );
    expect(failed.reason).toBe("node-lost");
    const [row] = await pg.db.select().from(calls).where(eq(calls.id, callId));
    expect(row).toMatchObject({ state: "failed", endReason: "node-lost", nodeId: "node-1" });

    // Every event at least once, under one webhook-id each with the same body, first deliveries
    // in seq order.
    const ofCall = hooks.got.filter((d) => d.callId === callId);
    const byId = new Map<string, Delivery[]>();
    for (const d of ofCall) byId.set(d.id, [...(byId.get(d.id) ?? []), d]);
    for (const copies of byId.values()) expect(new Set(copies.map((c) => c.body)).size).toBe(1);
    const firsts = [...byId.values()].map((copies) => copies[0]!);
    // What node 3 had in flight when it died was delivered again, by the node started after it.
    const inFlight = ofCall.filter((d) => d.held);
    expect(inFlight.length).toBeGreaterThan(0);
    for (const d of inFlight) expect(ofCall.some((x) => x.id === d.id && !x.held)).toBe(true);
    expect(firsts[0]?.type).toBe("call.initiated");
    expect(firsts.at(-1)?.type).toBe("call.failed");
    expect(firsts.map((d) => d.seq)).toEqual([...firsts.map((d) => d.seq)].sort((a, b) => a - b));
    await killed(node2);
    await killed(node3);
  } finally {
    bob.close();
    hooks.close();
    await pg.close();
  }
}, 240_000);
