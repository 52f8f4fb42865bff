/**
 * Three nodes on one PostgreSQL (SPEC §2 "each part can also run as its own process against the
 * same database"; docs/scale-out.md): nodes 1 and 2 run `gateway,console`, node 3 only `delivery`,
 * so every callback leaves through node 3. Two Chromium softphones register over SIP over WebSocket
 * (RFC 7118), alice on node 1 and bob on node 2; alice's INVITE reaches node 1, which finds bob's
 * binding on node 2 and routes the request there by the binding's Path (RFC 3327), node 2 relays
 * it down bob's WebSocket, and the media stays anchored on node 1. The call's callbacks (SPEC §4)
 * arrive once per `webhook-id`, in `seq` order.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres, pgSchema, type OpenedPostgres } from "@hookline/db/pg";
import { freshPostgresDatabase, stopPostgres } from "@hookline/db/testing/stores";
import { clusterDataDir, Receiver, startStack, type Received, type Stack } from "../src/index.js";
import { runSipp } from "../src/sipp.js";
import { launchChromium, SoftphonePage, type Browser } from "./chromium.js";

const DOMAIN = "cluster.test";
/** The call lifecycle of SPEC §4; sip.js answers an INVITE with 180 first, so it rings. */
const EVENTS = ["call.initiated", "call.ringing", "call.answered", "call.completed"];

describe("two gateway nodes and a delivery node on one PostgreSQL", () => {
  const receiver = new Receiver();
  /** Nodes 2 and 3's data folders, holding node 1's secrets: ours to remove. */
  const dirs: string[] = [];
  let node1: Stack;
  let node2: Stack;
  let node3: Stack;
  let pg: OpenedPostgres;
  let browser: Browser;
  let alice: SoftphonePage;
  let bob: SoftphonePage;

  beforeAll(async () => {
    const url = await freshPostgresDatabase();
    pg = await openPostgres({ url, max: 2 });
    const hooks = await receiver.listen();
    const node = (n: number, roles: string): Record<string, string> => ({
      HOOKLINE_DATABASE_URL: url,
      HOOKLINE_LISTEN_IP: `127.0.0.${n}`,
      HOOKLINE_NODE_ID: `node-${n}`,
      HOOKLINE_ROLES: roles,
    });
    node1 = await startStack(node(1, "gateway,console"));
    // Every node of a cluster holds the same token secret and operator token (docs/scale-out.md).
    dirs.push(clusterDataDir(node1), clusterDataDir(node1));
    node2 = await startStack({ ...node(2, "gateway,console"), HOOKLINE_DATA_DIR: dirs[0]! });
    node3 = await startStack({ ...node(3, "delivery"), HOOKLINE_DATA_DIR: dirs[1]! });

    const { apiKey } = await node1.tenant(DOMAIN, ["alice", "bob", "sipp"]);
    const cb = await node1.api("POST", "/v1/callbacks", { url: hooks, events: EVENTS }, apiKey);
    expect(cb.status).toBe(201);

    browser = await launchChromium();
    alice = await SoftphonePage.open(browser.context, node1.httpUrl);
    bob = await SoftphonePage.open(browser.context, node2.httpUrl);
    // The domain and users were written through node 1's API a moment ago: both gateways know them
    // from their directory mirrors, kept current by NOTIFY.
    await alice.register(node1.wsUrl, "alice", DOMAIN, "alice-secret");
    await bob.register(node2.wsUrl, "bob", DOMAIN, "bob-secret");
    // Each gateway knows the other's bindings from its mirror, a notification after the commit.
    for (const [node, user] of [
      [node1, "bob"],
      [node2, "alice"],
    ] as const) {
      const directory = node.h.gateway!.directory;
      const known = () => directory.lookup(directory.findDomain(DOMAIN)!, user).length === 1;
      for (const end = Date.now() + 10_000; !known(); await new Promise((r) => setTimeout(r, 20)))
        if (Date.now() > end) throw new Error(`${node.h.config.nodeId} never learnt ${user}'s binding`);
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    for (const stack of [node1, node2, node3]) await stack?.close();
    await receiver.close();
    await pg?.close();
    await stopPostgres();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("runs the roles each node was given, on its own address", () => {
    expect([node1, node2, node3].map((n) => [n.h.config.nodeId, n.h.config.roles])).toEqual([
      ["node-1", ["gateway", "console"]],
      ["node-2", ["gateway", "console"]],
      ["node-3", ["delivery"]],
    ]);
    expect(node3.h.gateway).toBeUndefined();
    expect(new URL(node2.wsUrl).hostname).toBe("127.0.0.2");
    expect(new URL(node3.httpUrl).hostname).toBe("127.0.0.3");
  });

  it("calls bob on node 2 from alice on node 1, with audio both ways through node 1 and the callbacks from node 3", async () => {
    // Each row names the gateway node holding the binding's flow (docs/scale-out.md).
    const bindings = await pg.db.select().from(pgSchema.registrations);
    expect(bindings.map((b) => [b.aor, b.nodeId]).sort()).toEqual([
      [`sip:alice@${DOMAIN}`, "node-1"],
      [`sip:bob@${DOMAIN}`, "node-2"],
    ]);

    await alice.call(`sip:bob@${DOMAIN}`);
    await expect.poll(async () => (await bob.state()).incoming, { timeout: 15_000 }).toBe(true);
    await bob.answer();
    await expect.poll(async () => (await alice.state()).established, { timeout: 15_000 }).toBe(true);
    for (const phone of [alice, bob]) await phone.hearsAudio();
    // The media is anchored on the node that took the INVITE, bob's WebSocket node or not.
    expect((await bob.stats())?.remoteCandidate?.address).toBe("127.0.0.1");
    await alice.hangup();
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(1);

    const { calls } = pgSchema;
    await expect
      .poll(async () => (await pg.db.select().from(calls)).map((c) => c.state), { timeout: 15_000 })
      .toEqual(["completed"]);
    const [row] = await pg.db.select().from(calls);
    expect(row).toMatchObject({ from: expect.stringContaining("alice"), nodeId: "node-1" });

    const got = await receiver.until((all) => all.some((r) => r.json.type === "call.completed"));
    // At least once (SPEC §4): a retry repeats a delivery under its webhook-id, with the same body.
    const byId = new Map<string, Received[]>();
    for (const r of got) {
      const id = r.headers["webhook-id"]!;
      byId.set(id, [...(byId.get(id) ?? []), r]);
    }
    for (const copies of byId.values()) expect(new Set(copies.map((c) => c.body)).size).toBe(1);
    const first = [...byId.values()].map((copies) => copies[0]!.json);
    expect(new Set(first.map((e) => e.data.seq)).size).toBe(byId.size);
    expect(first.every((e) => e.data.callId === row!.id)).toBe(true);
    // The first delivery of each event arrives in seq order, one event after the other.
    const seqs = first.map((e) => e.data.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(first.map((e) => e.type)).toEqual(EVENTS);
  }, 120_000);

  it("bob on node 2 calls alice on node 1: node 2 anchors the call and its media, node 1 relays", async () => {
    const endedBefore = (await alice.state()).ended;
    await bob.call(`sip:alice@${DOMAIN}`);
    await expect.poll(async () => (await alice.state()).incoming, { timeout: 15_000 }).toBe(true);
    await alice.answer();
    expect((await alice.hearsAudio(50)).remoteCandidate?.address).toBe("127.0.0.2");
    // The callee hangs up this time: its BYE goes up its WebSocket to node 1 and on to node 2.
    await alice.hangup();
    await expect.poll(async () => (await alice.state()).ended, { timeout: 10_000 }).toBe(endedBefore + 1);
    const { calls } = pgSchema;
    await expect
      .poll(
        async () =>
          (await pg.db.select().from(calls)).filter((c) => c.nodeId === "node-2").map((c) => c.state),
        {
          timeout: 15_000,
        },
      )
      .toEqual(["completed"]);
  }, 120_000);

  it("a desk phone's call to node 1 (SIPp over UDP, PCMA without a=ssrc) reaches bob on node 2 with audio", async () => {
    const endedBefore = (await bob.state()).ended;
    // A desk phone: PCMA from SIPp's pcap, no a=ssrc. Its media port is below Linux's ephemeral
    // ports (32768+), away from other tests' SIPp ports (12000-13998).
    const mediaPort = 16000 + 2 * Math.floor(Math.random() * 1000);
    const sipp = runSipp({
      scenario: "call-browser-no-ssrc.xml",
      target: `127.0.0.1:${node1.h.ports.sip}`,
      transport: "u1",
      service: "bob",
      auth: { user: "sipp", password: "sipp-secret" },
      vars: { caller: "sipp", domain: DOMAIN },
      timeoutS: 40,
      extraArgs: ["-i", "127.0.0.1", "-mp", String(mediaPort)],
    });
    await expect.poll(async () => (await bob.state()).incoming, { timeout: 15_000 }).toBe(true);
    await bob.answer();
    expect((await bob.hearsAudio(50)).codec).toBe("audio/PCMA");
    const result = await sipp;
    if (result.code !== 0) console.log(result.errors, result.stderr);
    expect(result.code).toBe(0);
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(endedBefore + 1);
  }, 120_000);
});
