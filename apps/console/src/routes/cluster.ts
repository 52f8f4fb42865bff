/**
 * `GET /v1/cluster` (operator token): the nodes of the cluster as they announce themselves in the
 * nodes table (SPEC §2: each part can run as its own process), with roles, addresses, last
 * heartbeat and state: `up` while its heartbeat is fresh, `lost` after three missed ones.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { listClusterNodes } from "@hookline/db";
import { errors, iso, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";

const NodeSchema = z
  .object({
    id: z.string().openapi({ example: "edge-1/10.0.0.5:5060" }),
    roles: z.array(z.enum(["gateway", "console", "delivery"])),
    state: z.enum(["up", "lost"]),
    sipAddress: z.string().nullable().openapi({ description: "host:port of SIP over UDP and TCP" }),
    httpAddress: z.string().nullable().openapi({ description: "host:port of HTTP" }),
    version: z.string(),
    startedAt: z.string(),
    heartbeatAt: z.string(),
    heartbeatIntervalMs: z.number().int(),
    lostAt: z.string().nullable().openapi({ description: "When a survivor ended its calls" }),
  })
  .openapi("ClusterNode");

const list = createRoute({
  method: "get",
  path: "/cluster",
  operationId: "listClusterNodes",
  tags: ["Cluster"],
  summary: "The cluster's nodes, their roles, addresses and heartbeats (operator token)",
  security: [{ operatorToken: [] }],
  responses: {
    200: jsonResponse(z.object({ data: z.array(NodeSchema) }), "Nodes, oldest start first"),
    401: errors[401],
  },
});

type Role = z.infer<typeof NodeSchema>["roles"][number];

export function clusterRoutes({ store, now }: RouteDeps) {
  const app = newRouter();
  app.openapi(list, async (c) => {
    const nodes = await listClusterNodes(store, now());
    const data = nodes.map((n) => ({
      id: n.id,
      roles: n.roles.split(",").filter(Boolean) as Role[],
      state: n.state,
      sipAddress: n.sipAddress,
      httpAddress: n.httpAddress,
      version: n.version,
      startedAt: iso(n.startedAt) ?? "",
      heartbeatAt: iso(n.heartbeatAt) ?? "",
      heartbeatIntervalMs: n.heartbeatMs,
      lostAt: iso(n.lostAt),
    }));
    return c.json({ data }, 200);
  });
  return app;
}
