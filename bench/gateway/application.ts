/**
 * The tenant's application of the gateway benchmark's "Hookline+app" row (SPEC §5), run as a child
 * of the bench so that its CPU is its own: every `call.incoming` is answered with
 * `{"actions": [{"action": "dial", "to": <callee>}]}`, so that each call is steered by the hook
 * and then rings the same callee as the default route would.
 *
 *   node --import tsx bench/gateway/application.ts <callee>
 *
 * Prints `listening <port>` once it listens on 127.0.0.1. `GET /stats` answers how many requests
 * it answered, by event type, so that the bench can tell that every call asked it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const callee = process.argv[2];
if (!callee) throw new Error("usage: application.ts <callee>");
const answer = JSON.stringify({ actions: [{ action: "dial", to: callee }] });
const asked: Record<string, number> = {};

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(asked));
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    let type = "invalid";
    try {
      type = String((JSON.parse(Buffer.concat(chunks).toString()) as { type?: unknown }).type);
    } catch {
      // counted as "invalid" and answered 400 below
    }
    asked[type] = (asked[type] ?? 0) + 1;
    if (type === "call.incoming") res.writeHead(200, { "content-type": "application/json" }).end(answer);
    else res.writeHead(400).end();
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
