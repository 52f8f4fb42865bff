/**
 * One Hookline callback node on PostgreSQL in its own process, for the cluster test and benchmark:
 *   tsx pg-node.ts deliver <url> <node id> [leaseMs] [totalTimeoutMs]
 *     delivers (claims with leases) until killed; prints `{"node", "attempt": <delivery id>}` per attempt.
 *   tsx pg-node.ts accept <url> <accountId> <events> <calls>
 *     accepts `events` sip.INVITE events spread over `calls` calls (seq per call), prints
 *     `{"ids": [...]}` once they are all durable, and exits.
 */
import { openPostgres } from "@hookline/db/pg";
import { createCallbackEngine } from "../engine.js";
import { silentLogger } from "../logger.js";
import { sipEvent } from "../test-support.js";

const [role, url, ...rest] = process.argv.slice(2);
if (!url || (role !== "deliver" && role !== "accept")) {
  throw new Error(
    "usage: pg-node deliver <url> <node> [leaseMs] [totalTimeoutMs] | accept <url> <account> <events> <calls>",
  );
}
const { db } = await openPostgres({ url });
const print = (o: object) => process.stdout.write(JSON.stringify(o) + "\n");

if (role === "deliver") {
  const [node = "node", leaseArg, timeoutArg] = rest;
  const leaseMs = Number(leaseArg ?? 30_000);
  const totalTimeoutMs = Number(timeoutArg ?? 10_000);
  const engine = createCallbackEngine({
    db,
    allowlist: "127.0.0.1",
    logger: silentLogger,
    deliver: true,
    pollIntervalMs: 50,
    retrySchedule: [0, 50, 100, 200, 400],
    postgres: { node, leaseMs },
    http: { totalTimeoutMs },
    onAttempt: (a) => print({ node, attempt: a.deliveryId, final: a.final }),
  });
  engine.start();
  print({ node, ready: true });
} else {
  const [accountId = "acc_test", eventsArg = "300", callsArg = "10"] = rest;
  const count = Number(eventsArg);
  const calls = Number(callsArg);
  const engine = createCallbackEngine({ db, logger: silentLogger, deliver: false });
  engine.start();
  const seqs = new Map<string, number>();
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const callId = `call_${i % calls}`;
      const seq = (seqs.get(callId) ?? 0) + 1;
      seqs.set(callId, seq);
      return engine.accept(sipEvent(accountId, callId, seq));
    }),
  );
  await engine.stop();
  print({ ids: results.flatMap((r) => r.deliveryIds) });
  process.exit(0);
}
