/**
 * A callback engine in its own process, for the crash test and the benchmark:
 *   tsx engine-child.ts <db file> <accountId> <events> [rate/s] [callCount]
 * accepts `events` sip.INVITE events (at `rate` per second, 0 = at once) spread over
 * `callCount` calls, prints one JSON line per accepted batch `{"accepted": n, "ids": [...]}` and
 * keeps delivering until killed.
 */
import { openDatabase } from "@hookline/db";
import { createCallbackEngine } from "../engine.js";
import { silentLogger } from "../logger.js";
import { sipEvent } from "../test-support.js";

const [file, accountId, countArg, rateArg, callsArg] = process.argv.slice(2);
if (!file || !accountId || !countArg)
  throw new Error("usage: engine-child <db> <accountId> <events> [rate] [calls]");
const count = Number(countArg);
const rate = Number(rateArg ?? 0);
const calls = Number(callsArg ?? 10);

const { db } = openDatabase({ file });
const engine = createCallbackEngine({
  db,
  allowlist: "127.0.0.1",
  logger: silentLogger,
  retrySchedule: [0, 50, 100, 200, 400],
});
engine.start();

const seqs = new Map<string, number>();
const next = (i: number) => {
  const callId = `call_${i % calls}`;
  const seq = (seqs.get(callId) ?? 0) + 1;
  seqs.set(callId, seq);
  return sipEvent(accountId, callId, seq);
};

const emit = (ids: string[]) => process.stdout.write(JSON.stringify({ accepted: ids.length, ids }) + "\n");

if (rate <= 0) {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => engine.accept(next(i))));
  emit(results.flatMap((r) => r.deliveryIds));
} else {
  // Offer `rate` events per second in 10 ms ticks; report each tick's accepted ids.
  const perTick = rate / 100;
  const start = Date.now();
  let offered = 0;
  while (offered < count) {
    const due = Math.min(count, Math.floor(((Date.now() - start) / 10 + 1) * perTick));
    const batch: Promise<{ deliveryIds: string[] }>[] = [];
    for (; offered < due; offered++) batch.push(engine.accept(next(offered)));
    void Promise.all(batch).then((rs) => emit(rs.flatMap((r) => r.deliveryIds)));
    await new Promise((r) => setTimeout(r, 10));
  }
}
