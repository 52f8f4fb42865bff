import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type OpenedDatabase } from "./open-database.js";
import { accounts, callLegs, calls } from "./schema/index.js";
import { DIALECTS, openTestStore, stopPostgres, type TestStore } from "./testing/stores.js";
import { outboundTrunkMinutesSince, TrunkMinutesSeed } from "./trunk-minutes.js";

let dir: string, database: OpenedDatabase;
const midnight = new Date(Date.UTC(2026, 11, 5));
const at = (minutesAfterMidnight: number) => midnight.getTime() + minutesAfterMidnight * 60_000;
let n = 0;

/** An outbound leg of a call of `accountId`, answered and ended at the given minutes of the day. */
function leg(accountId: string, trunkId: string | null, answered: number | null, ended: number | null) {
  const id = `x${++n}`;
  const { db } = database;
  db.insert(calls)
    .values({ id, accountId, sipCallId: id, from: "a", to: "b", state: "completed", startedAt: at(-120) })
    .run();
  db.insert(callLegs)
    .values({
      id,
      callId: id,
      direction: "outbound",
      sipCallId: `${id}@leg`,
      remoteUri: "sip:+15550000000@127.0.0.1",
      transport: "udp",
      trunkId,
      state: "terminated",
      createdAt: at(-120),
      answeredAt: answered === null ? null : at(answered),
      endedAt: ended === null ? null : at(ended),
    })
    .run();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-trunk-minutes-"));
  database = openDatabase({ file: join(dir, "hookline.db") });
  for (const id of ["acc_a", "acc_b"])
    database.db.insert(accounts).values({ id, name: id, createdAt: 0 }).run();
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("outbound trunk minutes since UTC midnight", () => {
  it("sums answered trunk legs that ended since then, per trunk or over the account's trunks", () => {
    leg("acc_a", "trk_1", 10, 13); // 3 min
    leg("acc_a", "trk_2", 20, 21.5); // 1.5 min
    leg("acc_a", "trk_1", -30, 2); // began yesterday, ended today: all 32 min count today
    leg("acc_a", "trk_1", -30, -10); // ended yesterday
    leg("acc_a", "trk_1", null, 5); // never answered
    leg("acc_a", null, 0, 60); // not through a trunk
    leg("acc_b", "trk_1", 0, 60); // another account's
    const db = database.db;
    expect(outboundTrunkMinutesSince(db, "acc_a", "trk_1", midnight)).toBe(35);
    expect(outboundTrunkMinutesSince(db, "acc_a", "trk_2", midnight)).toBe(1.5);
    expect(outboundTrunkMinutesSince(db, "acc_a", null, midnight)).toBe(36.5);
    expect(outboundTrunkMinutesSince(db, "acc_a", "trk_9", midnight)).toBe(0);
  });
});

afterAll(stopPostgres, 60_000);

describe.each(DIALECTS)("outbound trunk minutes read once at start (%s)", (dialect) => {
  let ts: TestStore;
  let m = 0;

  /** As `leg` above, through the Store (awaited, either dialect). */
  async function storedLeg(
    accountId: string,
    trunkId: string | null,
    answered: number | null,
    ended: number | null,
  ) {
    const id = `y${++m}`;
    const { db, t } = ts.store;
    await db
      .insert(t.calls)
      .values({ id, accountId, sipCallId: id, from: "a", to: "b", state: "completed", startedAt: at(-120) });
    await db.insert(t.callLegs).values({
      id,
      callId: id,
      direction: "outbound",
      sipCallId: `${id}@leg`,
      remoteUri: "sip:+15550000000@127.0.0.1",
      transport: "udp",
      trunkId,
      state: "terminated",
      createdAt: at(-120),
      answeredAt: answered === null ? null : at(answered),
      endedAt: ended === null ? null : at(ended),
    });
  }

  beforeEach(async () => {
    ts = await openTestStore(dialect);
    for (const id of ["acc_a", "acc_b"])
      await ts.store.db.insert(ts.store.t.accounts).values({ id, name: id, createdAt: 0 });
  });
  afterEach(() => ts.cleanup());

  it("gives per trunk and per account what the read at first sight gives", async () => {
    await storedLeg("acc_a", "trk_1", 10, 13); // 3 min
    await storedLeg("acc_a", "trk_2", 20, 21.5); // 1.5 min
    await storedLeg("acc_a", "trk_1", -30, 2); // began yesterday, ended today: all 32 min count today
    await storedLeg("acc_a", "trk_1", -30, -10); // ended yesterday
    await storedLeg("acc_a", "trk_1", null, 5); // never answered
    await storedLeg("acc_a", null, 0, 60); // not through a trunk
    await storedLeg("acc_b", "trk_1", 0, 60); // another account's, through a trunk id acc_a uses too
    const seed = await TrunkMinutesSeed.load(ts.store, midnight);
    expect(seed.minutesSince("acc_a", "trk_1", midnight)).toBe(35);
    expect(seed.minutesSince("acc_a", "trk_2", midnight)).toBe(1.5);
    expect(seed.minutesSince("acc_a", null, midnight)).toBe(36.5);
    expect(seed.minutesSince("acc_a", "trk_9", midnight)).toBe(0);
    expect(seed.minutesSince("acc_b", "trk_1", midnight)).toBe(60);
    expect(seed.minutesSince("acc_b", null, midnight)).toBe(60);
    if (ts.sqlite) {
      const db = ts.sqlite.db;
      for (const [acc, trk] of [
        ["acc_a", "trk_1"],
        ["acc_a", "trk_2"],
        ["acc_a", null],
        ["acc_b", null],
      ] as const)
        expect(seed.minutesSince(acc, trk, midnight)).toBe(outboundTrunkMinutesSince(db, acc, trk, midnight));
    }

    // A later UTC day: nothing read applies (what ends then, the guard counts itself).
    const tomorrow = new Date(midnight.getTime() + 86_400_000);
    expect(seed.minutesSince("acc_a", "trk_1", tomorrow)).toBe(0);
    // An earlier time than was read cannot be answered from it.
    expect(() => seed.minutesSince("acc_a", "trk_1", new Date(midnight.getTime() - 1))).toThrow();
  });
});
