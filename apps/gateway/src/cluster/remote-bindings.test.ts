/**
 * A user's contacts held by other nodes (remote-bindings.ts): rung through their node's Path, as
 * browsers when they registered over WebSocket; never this node's own (its location service has
 * them), never a lost node's, never a row without a Path (a single node's).
 */
import { describe, expect, it } from "vitest";
import type { ClusterNode, Registration } from "@hookline/db";
import { pathFlow, remoteBindings } from "./remote-bindings.js";

const NOW = 1_000_000;

function node(id: string, heartbeatAt: number, lostAt: number | null = null): ClusterNode {
  return {
    id,
    roles: "gateway",
    sipAddress: null,
    httpAddress: null,
    version: "1",
    instance: "i",
    startedAt: 0,
    heartbeatAt,
    heartbeatMs: 5000,
    lostAt,
  };
}

function row(
  id: string,
  nodeId: string | null,
  path: string | null,
  transport: Registration["transport"] = "ws",
) {
  return {
    id,
    accountId: "acc",
    domainId: "dom",
    aor: "sip:bob@acme.test",
    contact: `sip:${id}@x.invalid;transport=${transport}`,
    transport,
    source: "192.0.2.1:4000",
    expiresAt: NOW + 60_000,
    instanceId: null,
    connectionId: null,
    sipCallId: null,
    cseq: null,
    userAgent: null,
    nodeId,
    path,
    createdAt: 0,
    updatedAt: 0,
  } satisfies Registration;
}

describe("bindings other nodes hold", () => {
  const nodes = new Map([
    ["n1", node("n1", NOW)],
    ["n2", node("n2", NOW - 1000)],
    ["late", node("late", NOW - 16_000)],
    ["claimed", node("claimed", NOW, NOW - 10)],
  ]);
  const rows = [
    row("own", "n1", "<sip:t@127.0.0.1:5060;transport=udp;lr>"),
    row("ws", "n2", "<sip:t2@127.0.0.2:5070;transport=udp;lr>"),
    row("udp", "n2", "<sip:t3@127.0.0.2:5070;transport=udp;lr>", "udp"),
    row("late", "late", "<sip:t4@127.0.0.3:5060;transport=udp;lr>"),
    row("claimed", "claimed", "<sip:t5@127.0.0.4:5060;transport=udp;lr>"),
    row("single", null, null),
    row("nopath", "n2", null),
  ];
  const mirror = {
    registrationsOf: (aor: string) => rows.filter((r) => r.aor === aor),
    row: ((table: string, id: string) => (table === "nodes" ? nodes.get(id) : undefined)) as never,
  };

  it("rings the bindings of up nodes but this one through their Path; WebSocket ones as browsers", () => {
    const found = remoteBindings(mirror, "n1", () => NOW)("ACME.test", "bob");
    expect(found).toEqual([
      {
        contact: "sip:ws@x.invalid;transport=ws",
        flow: { transport: "udp", remoteAddress: "127.0.0.2", remotePort: 5070 },
        route: "<sip:t2@127.0.0.2:5070;transport=udp;lr>",
        webrtc: true,
      },
      {
        contact: "sip:udp@x.invalid;transport=udp",
        flow: { transport: "udp", remoteAddress: "127.0.0.2", remotePort: 5070 },
        route: "<sip:t3@127.0.0.2:5070;transport=udp;lr>",
        webrtc: false,
      },
    ]);
    expect(remoteBindings(mirror, "n1", () => NOW)("acme.test", "alice")).toEqual([]);
  });

  it("reads the node a Path names, port 5060 when it names none", () => {
    expect(pathFlow("<sip:tok@[::1];transport=udp;lr>")).toEqual({
      transport: "udp",
      remoteAddress: "::1",
      remotePort: 5060,
    });
    expect(pathFlow("not a uri")).toBeUndefined();
  });
});
