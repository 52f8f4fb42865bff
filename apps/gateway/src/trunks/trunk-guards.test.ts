import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  accounts,
  eq,
  NO_FRAUD_LIMITS,
  openDatabase,
  trunks,
  type OpenedDatabase,
  type Trunk,
} from "@hookline/db";
import { TrunkDirectory } from "./trunk-directory.js";
import { TrunkGuards } from "./trunk-guards.js";

let dir: string, database: OpenedDatabase, guards: TrunkGuards;

const trunkRow = (id: string, name: string, ports: number[]): Trunk => ({
  id,
  accountId: "acc_1",
  name,
  isDefault: false,
  outboundTargets: ports.map((port, i) => ({ host: "127.0.0.1", port, transport: "udp", priority: i })),
  outboundUsername: null,
  outboundPasswordSealed: null,
  inboundAddresses: [],
  inboundUsername: null,
  inboundPasswordSealed: null,
  numberFormat: { countryCode: null, nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
  codecs: ["PCMU"],
  callerId: { number: null, assertIdentity: true },
  fraudLimits: NO_FRAUD_LIMITS,
  createdAt: 0,
  updatedAt: 0,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-trunk-guards-"));
  database = openDatabase({ file: join(dir, "hookline.db") });
  database.db.insert(accounts).values({ id: "acc_1", name: "acme", createdAt: 0 }).run();
  guards = new TrunkGuards({
    db: database.db,
    directory: new TrunkDirectory(database.db, "secret"),
    publish: () => undefined,
    // No SIP stack here: every ping fails at once, which is no state change before two in a row.
    stack: () => {
      throw new Error("no SIP stack in this test");
    },
    health: { intervalMs: 60_000, failuresBeforeDown: 2 },
  });
});
afterEach(() => {
  guards.stop();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the health monitor follows the trunk directory", () => {
  it("watches a trunk once created, follows its targets when changed, and drops it when deleted", () => {
    const { db } = database;
    expect(guards.healthOf("trk_1")).toEqual({ state: "unknown", targets: [] });
    db.insert(trunks)
      .values(trunkRow("trk_1", "carrier-a", [5070]))
      .run();
    guards.sync();
    expect(guards.healthOf("trk_1").targets).toEqual([
      { host: "127.0.0.1", port: 5070, transport: "udp", state: "unknown", since: null, lastError: null },
    ]);

    const changed = trunkRow("trk_1", "carrier-a", [5071, 5072]).outboundTargets;
    db.update(trunks).set({ outboundTargets: changed }).where(eq(trunks.id, "trk_1")).run();
    guards.sync();
    expect(guards.healthOf("trk_1").targets.map((t) => t.port)).toEqual([5071, 5072]);
    expect(guards.health.state("trk_1")?.name).toBe("carrier-a");

    db.delete(trunks).where(eq(trunks.id, "trk_1")).run();
    guards.sync();
    expect(guards.health.state("trk_1")).toBeUndefined();
  });
});

describe("the fraud guard reads stored limits at each admission", () => {
  it("applies a trunk's and the account's limits as soon as they are stored", () => {
    const { db } = database;
    db.insert(trunks)
      .values(trunkRow("trk_1", "carrier-a", [5070]))
      .run();
    const ask = () =>
      guards.fraud.admitOutbound({ accountId: "acc_1", trunkId: "trk_1", destination: "+19005550100" });
    expect(ask()).toEqual({ ok: true });

    db.update(trunks)
      .set({ fraudLimits: { ...NO_FRAUD_LIMITS, deniedPrefixes: ["+1900"] } })
      .where(eq(trunks.id, "trk_1"))
      .run();
    expect(ask()).toMatchObject({
      ok: false,
      status: 403,
      reason: expect.stringContaining("trunk carrier-a"),
    });

    db.update(trunks).set({ fraudLimits: NO_FRAUD_LIMITS }).where(eq(trunks.id, "trk_1")).run();
    db.update(accounts)
      .set({ fraudLimits: { ...NO_FRAUD_LIMITS, allowedPrefixes: ["+44"] } })
      .where(eq(accounts.id, "acc_1"))
      .run();
    expect(ask()).toMatchObject({
      ok: false,
      status: 403,
      reason: "destination +19005550100 is not in the allowed prefixes of account acme",
    });
  });
});
