import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { type ClusterNode } from "@hookline/db";
import { OPERATOR } from "../test-helpers.js";
import { webHarness, type WebHarness } from "../web/test-client.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: WebHarness;
  afterEach(() => h?.close());

  const get = (path: string, token: string | null) =>
    h.app.request(path, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  /** A node row as cluster/presence.ts writes it, its last heartbeat `ago` ms before the clock. */
  function node(id: string, roles: string, ago: number, extra: Partial<ClusterNode> = {}): ClusterNode {
    const at = h.clock.now - ago;
    return {
      id,
      roles,
      sipAddress: roles.includes("gateway") ? "10.0.0.5:5060" : null,
      httpAddress: "10.0.0.5:3000",
      version: "0.1.0",
      instance: `i-${id}`,
      startedAt: at - 60_000,
      heartbeatAt: at,
      heartbeatMs: 1000,
      lostAt: null,
      ...extra,
    };
  }

  describe("GET /v1/cluster (operator token)", () => {
    it("lists every node with roles, addresses, last heartbeat and state: lost after three missed heartbeats", async () => {
      h = await webHarness(dialect);
      await h.store.db
        .insert(h.store.t.nodes)
        .values([
          node("a", "gateway,console", 500),
          node("b", "delivery", 3001),
          node("c", "gateway", 100, { lostAt: h.clock.now - 50 }),
        ]);
      const res = await get("/v1/cluster", OPERATOR);
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Array<Record<string, unknown>> };
      // Oldest start first: b started 3 s before a, c last.
      expect(data.map((n) => [n.id, n.state])).toEqual([
        ["b", "lost"],
        ["a", "up"],
        ["c", "lost"],
      ]);
      expect(data[1]).toEqual({
        id: "a",
        roles: ["gateway", "console"],
        state: "up",
        sipAddress: "10.0.0.5:5060",
        httpAddress: "10.0.0.5:3000",
        version: "0.1.0",
        startedAt: new Date(h.clock.now - 60_500).toISOString(),
        heartbeatAt: new Date(h.clock.now - 500).toISOString(),
        heartbeatIntervalMs: 1000,
        lostAt: null,
      });
      expect(data[0]).toMatchObject({ roles: ["delivery"], sipAddress: null });
    });

    it("refuses an account API key and a missing token with 401", async () => {
      h = await webHarness(dialect);
      const { apiKey } = await h.tenant("ops@acme.test");
      for (const token of [apiKey, null, "hlop_wrong"]) {
        const res = await get("/v1/cluster", token);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      }
    });
  });

  describe("Overview's Cluster section (signed-in user)", () => {
    it("shows nodes up and lost as counts, without ids or addresses", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", "correct horse battery");
      expect(await (await b.get("/")).text()).not.toContain("Cluster");
      await h.store.db
        .insert(h.store.t.nodes)
        .values([
          node("edge-1", "gateway", 0),
          node("edge-2", "gateway", 0),
          node("edge-3", "gateway", 10_000),
        ]);
      const html = await (await b.get("/")).text();
      expect(html).toMatch(/<strong>2<\/strong> nodes up/);
      expect(html).toMatch(/<strong>1<\/strong> node lost/);
      expect(html).not.toContain("edge-1");
      expect(html).not.toContain("10.0.0.5");
    });
  });
});

afterAll(stopPostgres, 60_000);
