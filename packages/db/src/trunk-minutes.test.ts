import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type OpenedDatabase } from "./open-database.js";
import { accounts, callLegs, calls } from "./schema/index.js";
import { outboundTrunkMinutesSince } from "./trunk-minutes.js";

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
