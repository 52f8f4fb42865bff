/**
 * Roles as separate processes on one SQLite file (SPEC §2: each part can run as its own process):
 * real `npm start` entry points (process-test-support.ts), a real UDP "carrier" that rings, a real
 * HTTP receiver for callbacks. Processes are killed with SIGKILL mid-call, as a crash would.
 */
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { calls, eq, nodes, openDatabase, sqliteStore } from "@hookline/db";
import {
  api,
  callInProgress,
  killed,
  killStartedNodes,
  ringingCarrier,
  startNode,
  tenant,
  TOKEN,
  until,
} from "./process-test-support.js";

let dir: string;

afterEach(killStartedNodes);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "hookline-cluster-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("roles as separate processes (SPEC §2)", () => {
  it("a console-only process opens no SIP port and starts no media worker", async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const node = await startNode(dir, {
      HOOKLINE_ROLES: "console",
      HOOKLINE_NODE_ID: "console-only",
      HOOKLINE_SIP_PORT: String(free),
      HOOKLINE_SIP_WS_PORT: String(free),
    });
    // The SIP port is free on both transports: this test can take it.
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) =>
      tcp.once("error", reject).listen(free, "127.0.0.1", resolve),
    );
    tcp.close();
    const udp = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(free, "127.0.0.1", resolve);
    });
    udp.close();
    const children = spawnSync("ps", ["-o", "comm=", "--ppid", String(node.child.pid)], { encoding: "utf8" });
    expect(children.stdout).not.toMatch(/mediasoup/);
    expect(node.output()).not.toContain("SIP over");
    const ready = await fetch(`http://127.0.0.1:${node.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { parts: object }).parts).not.toHaveProperty("media");
    const cluster = await api(node, "GET", "/v1/cluster", TOKEN);
    expect(cluster.data).toEqual([
      expect.objectContaining({ id: "console-only", roles: ["console"], state: "up", sipAddress: null }),
    ]);
    node.child.kill("SIGTERM");
    await until("the node's exit", () => node.child.exitCode ?? undefined);
  }, 120_000);

  it("gateway+console and delivery share one SQLite file; the gateway killed mid-call is lost, and the delivery node fails its call with node-lost and delivers call.failed", async () => {
    const carrier = await ringingCarrier();
    const received: Array<{ type: string; data: { callId: string; seq: number; call: { reason: string } } }> =
      [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const db = openDatabase({ file: path.join(dir, "hookline.db") });
    try {
      const a = await startNode(dir, { HOOKLINE_ROLES: "gateway,console", HOOKLINE_NODE_ID: "node-a" });
      const b = await startNode(dir, { HOOKLINE_ROLES: "delivery", HOOKLINE_NODE_ID: "node-b" });
      const both = await until("both nodes up in /v1/cluster", async () => {
        const { data } = await api(a, "GET", "/v1/cluster", TOKEN);
        const up = data!.filter((n) => n.state === "up").map((n) => n.id);
        return up.includes("node-a") && up.includes("node-b") ? data : undefined;
      });
      expect(both.find((n) => n.id === "node-a")).toMatchObject({
        roles: ["gateway", "console"],
        sipAddress: `127.0.0.1:${a.sip}`,
        httpAddress: `127.0.0.1:${a.http}`,
      });
      expect(both.find((n) => n.id === "node-b")).toMatchObject({ roles: ["delivery"], sipAddress: null });

      const port = (receiver.address() as net.AddressInfo).port;
      const t = await tenant(a, carrier.port, `http://127.0.0.1:${port}/hooks`);
      const callId = await callInProgress(a, sqliteStore(db.db), carrier, t, "node-a");
      // node-a only accepts events into the shared outbox; node-b delivers them.
      await until("call.initiated delivered by node-b", () =>
        received.find((e) => e.type === "call.initiated" && e.data.callId === callId),
      );
      await killed(a);

      const ended = await until("the call recorded failed", () => {
        const row = db.db.select().from(calls).where(eq(calls.id, callId)).get();
        return row?.state === "failed" ? row : undefined;
      });
      expect(ended).toMatchObject({ endReason: "node-lost", endStatus: null, nodeId: "node-a" });
      expect(db.db.select().from(nodes).where(eq(nodes.id, "node-a")).get()?.lostAt).not.toBeNull();
      const event = await until("call.failed delivered by node-b", () =>
        received.find((e) => e.type === "call.failed" && e.data.callId === callId),
      );
      expect(event.data.call.reason).toBe("node-lost");
      // Numbered after what node-a published for the call, delivered after it.
      const ofCall = received.filter((e) => e.data.callId === callId);
      expect(ofCall.map((e) => e.type)).toEqual(["call.initiated", "call.failed"]);
      expect(ofCall[1]!.data.seq).toBeGreaterThan(ofCall[0]!.data.seq);

      const metrics = await (
        await fetch(`http://127.0.0.1:${b.http}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      expect(metrics).toContain('hookline_cluster_nodes{state="up"} 1');
      expect(metrics).toContain('hookline_cluster_nodes{state="lost"} 1');
      expect(metrics).toMatch(
        /hookline_cluster_node_info\{node="node-a",roles="gateway,console",[^}]*state="lost"\} 1/,
      );
      await killed(b);
    } finally {
      db.close();
      carrier.close();
      receiver.close();
    }
  }, 240_000);

  it("a gateway restarted with the same id ends the calls its killed run left in progress", async () => {
    const carrier = await ringingCarrier();
    const db = openDatabase({ file: path.join(dir, "hookline.db") });
    try {
      const env = { HOOKLINE_ROLES: "gateway,console", HOOKLINE_NODE_ID: "node-r" };
      const first = await startNode(dir, env);
      const t = await tenant(first, carrier.port);
      const callId = await callInProgress(first, sqliteStore(db.db), carrier, t, "node-r");
      await killed(first);
      const again = await startNode(dir, env);
      const call = await api(again, "GET", `/v1/calls/${callId}`, t.key);
      expect(call).toMatchObject({ state: "failed", reason: "node-lost" });
      const { data } = await api(again, "GET", "/v1/cluster", TOKEN);
      expect(data!.find((n) => n.id === "node-r")).toMatchObject({ state: "up" });
      await killed(again);
    } finally {
      db.close();
      carrier.close();
    }
  }, 240_000);
});
