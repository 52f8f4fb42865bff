// A Hookline application (SPEC §5): calls to `sales` ring alice, every other call is declined.
// Run: HOOK_SECRET=whsec_... PORT=8081 node examples/steer-app.mjs   (no dependencies)
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";

const forward = { sales: "alice" }; // called user -> user who answers for it
const key = Buffer.from((process.env.HOOK_SECRET ?? "").replace(/^whsec_/, ""), "base64");

/** Standard Webhooks: "v1," + base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>". */
function signed({ headers: h }, body) {
  const mac = createHmac("sha256", key).update(`${h["webhook-id"]}.${h["webhook-timestamp"]}.${body}`);
  const expected = Buffer.from(`v1,${mac.digest("base64")}`);
  const fresh = Math.abs(Date.now() / 1000 - Number(h["webhook-timestamp"])) < 300; // at most 5 min old: no replays
  const match = (s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), expected);
  return fresh && String(h["webhook-signature"]).split(" ").some(match);
}

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    if (!signed(req, body)) return res.writeHead(401).end();
    const { type, data } = JSON.parse(body);
    const user = /^sips?:([^@;>]+)/.exec(data.to)?.[1] ?? "";
    console.log(`${type} ${data.from} -> ${data.to} via ${data.source.transport}`);
    const actions = forward[user]
      ? [{ action: "dial", to: forward[user] }]
      : [{ action: "reject", status: 603, reason: "Decline" }];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ actions }));
  });
});
server.listen(Number(process.env.PORT ?? 8081), "127.0.0.1", () => {
  console.log(`steer-app listening on http://127.0.0.1:${server.address().port}/`);
});
