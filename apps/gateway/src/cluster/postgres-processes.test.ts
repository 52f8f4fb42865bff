/**
 * The console and delivery roles as separate processes on one PostgreSQL (SPEC §2,
 * `HOOKLINE_DATABASE_URL=postgres://`; docs/scale-out.md): what the console writes, the delivery
 * node reads and delivers; both announce themselves and watch each other through the nodes table.
 * A real throwaway PostgreSQL (or HOOKLINE_TEST_POSTGRES_URL), real `npm start` processes, a real
 * HTTP receiver.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freshPostgresDatabase, stopPostgres } from "@hookline/db/testing/stores";
import { pgStore, type Store } from "@hookline/db";
import { openPostgres } from "@hookline/db/pg";
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

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
}

let dir: string;
const received: Received[] = [];
let receiver: http.Server;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "hookline-pg-cluster-"));
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        body,
      });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});
afterEach(killStartedNodes);
afterAll(async () => {
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
  await stopPostgres();
}, 60_000);

describe("console and delivery nodes on PostgreSQL", () => {
  it("the console's callback and test event are delivered, signed, by the delivery node; a killed node is shown lost", async () => {
    const url = await freshPostgresDatabase();
    const env = { HOOKLINE_DATABASE_URL: url };
    const consoleNode = await startNode(path.join(dir, "console"), {
      ...env,
      HOOKLINE_ROLES: "console",
      HOOKLINE_NODE_ID: "pg-console",
    });
    expect(consoleNode.output()).toMatch(/database +PostgreSQL postgres(ql)?:\/\//);
    expect(consoleNode.output()).not.toContain("SIP over");
    const delivery = await startNode(path.join(dir, "delivery"), {
      ...env,
      HOOKLINE_ROLES: "delivery",
      HOOKLINE_NODE_ID: "pg-delivery",
    });

    const both = await until("both nodes up in /v1/cluster", async () => {
      const { data } = await api(consoleNode, "GET", "/v1/cluster", TOKEN);
      return data!.filter((n) => n.state === "up").length === 2 ? data : undefined;
    });
    expect(both.map((n) => [n.id, n.roles])).toEqual([
      ["pg-console", ["console"]],
      ["pg-delivery", ["delivery"]],
    ]);
    for (const node of [consoleNode, delivery]) {
      const ready = await fetch(`http://127.0.0.1:${node.http}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { parts: { database: object } }).parts.database).toEqual({
        ok: true,
        state: "ok",
        since: null,
        error: null,
      });
    }

    // Written by the console into PostgreSQL, read from there by the delivery node.
    const account = await api(consoleNode, "POST", "/v1/accounts", TOKEN, { name: "Acme" });
    const key = account.apiKey as string;
    const port = (receiver.address() as AddressInfo).port;
    const cb = await api(consoleNode, "POST", "/v1/callbacks", key, {
      url: `http://127.0.0.1:${port}/hooks`,
      events: ["sip.BYE"],
    });
    const sent = await api(consoleNode, "POST", `/v1/callbacks/${cb.id as string}/test`, key, {
      type: "sip.BYE",
    });
    const got = await until("the test event at the receiver", () =>
      received.find((r) => r.id === sent.deliveryId),
    );
    // Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with the callback's secret.
    const secret = Buffer.from((cb.secret as string).slice("whsec_".length), "base64");
    const mac = createHmac("sha256", secret)
      .update(`${got.id}.${got.timestamp}.${got.body}`)
      .digest("base64");
    expect(got.signature.split(" ")).toContain(`v1,${mac}`);
    expect(JSON.parse(got.body)).toMatchObject({ type: "sip.BYE" });
    const shown = await until("the delivery recorded succeeded", async () => {
      const d = await api(consoleNode, "GET", `/v1/deliveries/${sent.deliveryId as string}`, key);
      return d.status === "succeeded" ? d : undefined;
    });
    expect(shown).toMatchObject({ attemptCount: 1, eventType: "sip.BYE" });

    await killed(delivery);
    const lost = await until("the delivery node lost in /v1/cluster", async () => {
      const { data } = await api(consoleNode, "GET", "/v1/cluster", TOKEN);
      const node = data!.find((n) => n.id === "pg-delivery");
      return node?.state === "lost" ? node : undefined;
    });
    expect(lost).toMatchObject({ roles: ["delivery"] });
    const metrics = await (
      await fetch(`http://127.0.0.1:${consoleNode.http}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).text();
    expect(metrics).toContain("hookline_database_writable 1");
    expect(metrics).toContain("hookline_outbox_pending 0");
    expect(metrics).toContain('hookline_cluster_nodes{state="lost"} 1');
    await killed(consoleNode);
  }, 240_000);

  it("a gateway node killed mid-call: the delivery node records the call node-lost and delivers call.failed", async () => {
    const url = await freshPostgresDatabase();
    const pg = await openPostgres({ url, max: 2 });
    const store: Store = pgStore(pg.db);
    const carrier = await ringingCarrier();
    try {
      const env = { HOOKLINE_DATABASE_URL: url };
      const gw = await startNode(path.join(dir, "gw"), {
        ...env,
        HOOKLINE_ROLES: "gateway,console",
        HOOKLINE_NODE_ID: "pg-gw",
      });
      const dl = await startNode(path.join(dir, "dl"), {
        ...env,
        HOOKLINE_ROLES: "delivery",
        HOOKLINE_NODE_ID: "pg-dl",
      });
      const port = (receiver.address() as AddressInfo).port;
      const t = await tenant(gw, carrier.port, `http://127.0.0.1:${port}/lost`);
      const callId = await callInProgress(gw, store, carrier, t, "pg-gw");
      const parsed = () =>
        received.map(
          (r) =>
            JSON.parse(r.body) as {
              type: string;
              data: { callId: string; seq: number; call?: { reason: string } };
            },
        );
      await until("call.initiated delivered", () =>
        parsed().find((e) => e.type === "call.initiated" && e.data.callId === callId),
      );
      await killed(gw);
      const failed = await until("call.failed delivered by the delivery node", () =>
        parsed().find((e) => e.type === "call.failed" && e.data.callId === callId),
      );
      expect(failed.data.call?.reason).toBe("node-lost");
      const { calls } = store.t;
      const [row] = await store.db.select().from(calls);
      expect(row).toMatchObject({ id: callId, state: "failed", endReason: "node-lost", nodeId: "pg-gw" });
      const ofCall = parsed().filter((e) => e.data.callId === callId);
      expect(ofCall.map((e) => e.type)).toEqual(["call.initiated", "call.failed"]);
      expect(ofCall[1]!.data.seq).toBeGreaterThan(ofCall[0]!.data.seq);
      await killed(dl);
    } finally {
      carrier.close();
      await pg.close();
    }
  }, 240_000);
});
