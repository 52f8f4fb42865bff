/**
 * The transport layer as the gateway builds it from its configuration: the WebSocket admission
 * caps an operator sets (HOOKLINE_WS_MAX_CONNECTIONS, HOOKLINE_WS_MAX_PER_SOURCE) reach the
 * WebSocket listener (SPEC §6).
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { TransportLayer } from "./transport-layer.js";

let layer: TransportLayer | undefined;
afterEach(async () => {
  await layer?.close();
  layer = undefined;
});

/** An upgrade from `localAddress`: the open socket, or the refusal's HTTP status. */
function upgrade(port: number, localAddress: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, "sip", { localAddress });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

describe("TransportLayer", () => {
  it("applies the configured WebSocket caps: per source address (429), then in all (503)", async () => {
    layer = new TransportLayer({
      listenIp: "127.0.0.1",
      sipPort: 0,
      wsPort: 0,
      wsLimits: { maxConnections: 3, maxConnectionsPerSource: 2 },
      onMessage: () => {},
      onClosed: () => {},
    });
    await layer.listen();
    const port = layer.ports.ws;
    const open: WebSocket[] = [];
    for (const from of ["127.0.0.1", "127.0.0.1"]) open.push((await upgrade(port, from)) as WebSocket);
    expect(await upgrade(port, "127.0.0.1")).toBe(429);
    open.push((await upgrade(port, "127.0.0.2")) as WebSocket);
    expect(await upgrade(port, "127.0.0.3")).toBe(503);
    for (const ws of open) ws.close();
  });
});
