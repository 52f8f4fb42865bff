/**
 * One side of the benchmark, in its own process (so it can be `kill -9`ed):
 *   tsx child.ts <engine|naive> <db file> <accountId> <url> <events> <rate/s, 0 = at once> <call prefix>
 * `engine` accepts events into the callback engine (durable outbox, dispatcher); `naive` calls
 * fetch once per event with no outbox, the baseline. Prints `{"ready":true}` once, then one JSON line
 * per batch of accepted webhook-ids, `{"ids": [...]}`.
 */
import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openDatabase } from "@hookline/db";
import { createCallbackEngine } from "../src/engine.js";
import type { HooklineEvent } from "../src/events.js";
import { silentLogger } from "../src/logger.js";
import { webhookHeaders } from "../src/signing.js";
import { sipEvent } from "../src/test-support.js";

const [mode, file, accountId, url, countArg, rateArg, prefix] = process.argv.slice(2);
if (!mode || !file || !accountId || !url || !countArg || !rateArg || !prefix) throw new Error("see usage");
const count = Number(countArg);
const rate = Number(rateArg);
const CALLS = 100;
const SECRET = "whsec_" + Buffer.from("bench-secret-bench-secret").toString("base64");

let accept: (e: HooklineEvent) => Promise<string[]>;
let stats = (): object => ({});
if (mode === "engine") {
  const { db, sqlite } = openDatabase({ file });
  if (process.env["BENCH_WAL_AUTOCHECKPOINT"])
    sqlite.pragma(`wal_autocheckpoint = ${Number(process.env["BENCH_WAL_AUTOCHECKPOINT"])}`);
  const engine = createCallbackEngine({
    db,
    allowlist: "127.0.0.1",
    logger: silentLogger,
    retrySchedule: [0, 100, 500, 1000, 2000],
  });
  engine.start();
  stats = () => engine.stats();
  accept = async (e) => (await engine.accept(e)).deliveryIds;
} else {
  accept = (e) => {
    const id = randomUUID();
    const body = JSON.stringify(e);
    // The baseline sends and does not wait, as a fire-and-forget webhook sender would; a failed
    // send is not retried, so its error is dropped.
    void fetch(url, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...webhookHeaders({ secret: SECRET }, id, body, Date.now()),
      },
    })
      .then((r) => r.arrayBuffer())
      .catch(() => {});
    return Promise.resolve([id]);
  };
}

const seqs = new Map<string, number>();
const next = (i: number) => {
  const callId = `${prefix}_${i % CALLS}`;
  const seq = (seqs.get(callId) ?? 0) + 1;
  seqs.set(callId, seq);
  return sipEvent(accountId, callId, seq);
};
const emit = (ids: string[]) => process.stdout.write(JSON.stringify({ ids }) + "\n");

if (process.env["BENCH_LOOP_STATS"]) {
  // Event-loop stalls show up as delivery latency; print them to stderr every 2 s.
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  setInterval(() => {
    const ms = (ns: number) => Math.round(ns / 1e6);
    process.stderr.write(
      `loop delay p50 ${ms(h.percentile(50))} p99 ${ms(h.percentile(99))} max ${ms(h.max)} ms ${JSON.stringify(stats())}\n`,
    );
    h.reset();
  }, 2000).unref();
}
// With --cpu-prof the profile is written on exit; the bench ends profiled processes with SIGTERM.
process.once("SIGTERM", () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
if (rate <= 0) {
  const all = await Promise.all(Array.from({ length: count }, (_, i) => accept(next(i))));
  emit(all.flat());
} else {
  const perTick = rate / 100;
  const start = Date.now();
  let offered = 0;
  while (offered < count) {
    const due = Math.min(count, Math.floor(((Date.now() - start) / 10 + 1) * perTick));
    const batch: Promise<string[]>[] = [];
    for (; offered < due; offered++) batch.push(accept(next(offered)));
    void Promise.all(batch).then((r) => emit(r.flat()));
    await new Promise((r) => setTimeout(r, 10));
  }
}
