import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createCallbackEngine } from "../src/engine.js";
import { silentLogger } from "../src/logger.js";
import { addCallback, seedAccount, sipEvent, tempDb } from "../src/test-support.js";
let n = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    n++;
    res.end("ok");
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
const t = tempDb();
const acc = seedAccount(t.db);
addCallback(t.db, { accountId: acc, url, events: ["sip.*"] });
const lats: number[] = [];
const e = createCallbackEngine({
  db: t.db,
  allowlist: "127.0.0.1",
  logger: silentLogger,
  limits: { perEndpoint: Number(process.env["PE"] ?? 16) },
  onAttempt: (i) => lats.push(Date.now() - i.startedAt),
});
e.start();
const N = Number(process.argv[2] ?? 5000);
const t0 = performance.now();
await Promise.all(
  Array.from({ length: N }, (_, i) => e.accept(sipEvent(acc, `c_${i % 100}`, Math.floor(i / 100) + 1))),
);
const t1 = performance.now();
while (n < N) await new Promise((r) => setTimeout(r, 5));
const t2 = performance.now();
lats.sort((a, b) => a - b);
console.log({ attemptP50: lats[lats.length >> 1], attemptP99: lats[Math.floor(lats.length * 0.99)] });
console.log({
  acceptMs: Math.round(t1 - t0),
  deliverMs: Math.round(t2 - t0),
  perSec: Math.round(N / ((t2 - t0) / 1000)),
  stats: e.stats(),
});
await e.stop();
server.close();
t.cleanup();
