/**
 * One callback node of the cluster benchmark (run.ts), on either database:
 *   tsx node.ts accept <db> <accountId> <events> <calls>   accepts, prints {"accepted": n}, exits
 *   tsx node.ts deliver <db> <node id>                      prints {"ready"}, starts on a "go" line,
 *                                                           prints {"cpuMs"} on a "cpu" line
 * `<db>` is a `postgres://` URL or a SQLite file.
 */
import { createInterface } from "node:readline";
import { openDatabase } from "@hookline/db";
import { openPostgres } from "@hookline/db/pg";
import { createCallbackEngine, silentLogger, type HooklineEvent } from "@hookline/callbacks";

const [role, target, ...rest] = process.argv.slice(2);
if (!target || (role !== "accept" && role !== "deliver"))
  throw new Error("usage: node.ts accept|deliver <db> ...");
const db = target.startsWith("postgres://")
  ? (await openPostgres({ url: target })).db
  : openDatabase({ file: target }).db;
const print = (o: object) => process.stdout.write(JSON.stringify(o) + "\n");

if (role === "accept") {
  const [accountId = "acc_bench", eventsArg = "1000", callsArg = "100"] = rest;
  const calls = Number(callsArg);
  const engine = createCallbackEngine({ db, logger: silentLogger, deliver: false });
  engine.start();
  const seqs = new Map<string, number>();
  const results = await Promise.all(
    Array.from({ length: Number(eventsArg) }, (_, i) => {
      const callId = `call_${i % calls}`;
      const seq = (seqs.get(callId) ?? 0) + 1;
      seqs.set(callId, seq);
      return engine.accept(event(accountId, callId, seq));
    }),
  );
  await engine.stop();
  print({ accepted: results.reduce((n, r) => n + r.deliveryIds.length, 0) });
  process.exit(0);
} else {
  const engine = createCallbackEngine({
    db,
    allowlist: "127.0.0.1",
    logger: silentLogger,
    pollIntervalMs: 100,
    // One receiver for every lane: the default 32 per origin would measure that cap, not the store.
    limits: { maxConcurrency: 256, perEndpoint: 256, perAccount: 256 },
    ...(target.startsWith("postgres://") ? { postgres: { node: rest[0] ?? "node" } } : {}),
  });
  print({ ready: true });
  // "go" starts delivering; "cpu" asks for this process's CPU time since then (user + system, ms).
  let cpuAtGo = process.cpuUsage();
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line === "go") {
      cpuAtGo = process.cpuUsage();
      engine.start();
    } else if (line === "cpu") {
      const used = process.cpuUsage(cpuAtGo);
      print({ cpuMs: (used.user + used.system) / 1000 });
    }
  });
}

function event(accountId: string, callId: string, seq: number): HooklineEvent {
  return {
    type: "sip.INVITE",
    timestamp: new Date().toISOString(),
    data: {
      accountId,
      callId,
      seq,
      message: {
        direction: "received",
        method: "INVITE",
        status: null,
        reason: null,
        requestUri: "sip:bob@acme.sip.example",
        from: "<sip:alice@acme.sip.example>;tag=1",
        to: "<sip:bob@acme.sip.example>",
        sipCallId: `${callId}@bench`,
        cseq: `${seq} INVITE`,
        headers: {},
      },
      call: {
        id: callId,
        state: "initiated",
        from: "sip:alice@x",
        to: "sip:bob@x",
        startedAt: new Date().toISOString(),
      },
    },
  };
}
