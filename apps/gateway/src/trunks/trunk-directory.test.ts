/**
 * The trunk directory on both of its sources (SPEC §3 trunks): SQLite's prepared statements, and
 * on PostgreSQL the directory mirror (LISTEN/NOTIFY). Every case runs on each with the same rows
 * and the same expectations, ordering included. Rows are written through a Store (awaited queries
 * on the dialect's tables); on PostgreSQL each write is followed by a barrier: a marker row is
 * changed and the test polls (to a bound) until the mirror shows it, by which time every earlier
 * commit is in the mirror too (notifications arrive in commit order and are read in turn).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { sealSecret, trunkSecretContext } from "@hookline/auth-tokens";
import { eq, NO_FRAUD_LIMITS, type Trunk } from "@hookline/db";
import { DirectoryMirror } from "@hookline/db/pg";
import {
  DIALECTS,
  mirrorCaughtUp,
  openTestStore,
  stopPostgres,
  type TestStore,
} from "@hookline/db/testing/stores";
import { silentLogger } from "@hookline/log";
import { TrunkDirectory } from "./trunk-directory.js";

const SECRET = "test-token-secret-0123456789abcdef";

const trunkRow = (id: string, accountId: string, over: Partial<Trunk> = {}): Trunk => ({
  id,
  accountId,
  name: id,
  isDefault: false,
  outboundTargets: [],
  outboundUsername: null,
  outboundPasswordSealed: null,
  inboundAddresses: [],
  inboundUsername: null,
  inboundPasswordSealed: null,
  numberFormat: { countryCode: null, nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
  codecs: ["PCMU"],
  callerId: { number: null, assertIdentity: false },
  fraudLimits: NO_FRAUD_LIMITS,
  createdAt: 100,
  updatedAt: 100,
  ...over,
});

const numberRow = (id: string, number: string, over: Record<string, unknown> = {}) => ({
  id,
  number,
  accountId: "acc_a",
  trunkId: null,
  domainId: null,
  user: null,
  createdAt: 1,
  ...over,
});

afterAll(stopPostgres, 60_000);

describe.each(DIALECTS)("trunk directory on %s", (dialect) => {
  let ts: TestStore;
  let mirror: DirectoryMirror | undefined;
  let directory: TrunkDirectory;
  beforeEach(async () => {
    ts = await openTestStore(dialect);
    const { db, t } = ts.store;
    await db.insert(t.accounts).values([
      { id: "acc_a", name: "Acme", createdAt: 1, fraudLimits: { ...NO_FRAUD_LIMITS, callsPerSecond: 3 } },
      { id: "acc_b", name: "Bolt", createdAt: 1 },
    ]);
    if (ts.pg) {
      mirror = new DirectoryMirror({ url: ts.pg.url, db: ts.pg.db, logger: silentLogger, reconnectMs: 50 });
      await mirror.start();
      directory = new TrunkDirectory(mirror, SECRET);
    } else {
      mirror = undefined;
      directory = new TrunkDirectory(ts.sqlite!.db, SECRET);
    }
  });
  afterEach(async () => {
    await mirror?.stop();
    await ts.cleanup();
  });

  it("finds the trunks a source address belongs to, oldest first, with their secrets opened", async () => {
    const { db, t } = ts.store;
    const sealed = sealSecret(SECRET, "pbx-secret", trunkSecretContext("trk_pbx", "inbound"));
    // Written newest first: the answer's order is the trunks' age, not the order rows were written.
    await db.insert(t.trunks).values([
      trunkRow("trk_pbx", "acc_b", {
        inboundAddresses: ["198.51.100.7"],
        inboundUsername: "pbx",
        inboundPasswordSealed: sealed,
        createdAt: 300,
      }),
      trunkRow("trk_z", "acc_a", { inboundAddresses: ["198.51.100.0/24"], createdAt: 200 }),
      // Same age as trk_z: the id breaks the tie.
      trunkRow("trk_y", "acc_b", { inboundAddresses: ["198.51.100.0/28", "2001:db8::/32"], createdAt: 200 }),
      trunkRow("trk_other", "acc_a", { inboundAddresses: ["203.0.113.0/24"], createdAt: 50 }),
      // Sealed for another trunk: it no longer opens.
      trunkRow("trk_bad", "acc_a", {
        inboundAddresses: ["192.0.2.1"],
        outboundPasswordSealed: sealSecret(SECRET, "x", trunkSecretContext("trk_pbx", "outbound")),
      }),
    ]);
    await mirrorCaughtUp(ts.store, mirror);

    expect(directory.bySource("198.51.100.7").map((x) => x.id)).toEqual(["trk_y", "trk_z", "trk_pbx"]);
    // A v4 peer on a dual-stack socket.
    expect(directory.bySource("::ffff:198.51.100.7").map((x) => x.id)).toEqual(["trk_y", "trk_z", "trk_pbx"]);
    expect(directory.bySource("198.51.100.20").map((x) => x.id)).toEqual(["trk_z"]);
    expect(directory.bySource("2001:db8::1").map((x) => x.id)).toEqual(["trk_y"]);
    expect(directory.bySource("192.0.2.200")).toEqual([]);
    const pbx = directory.bySource("198.51.100.7")[2]!;
    expect(pbx).toMatchObject({
      inboundUsername: "pbx",
      inboundPassword: "pbx-secret",
      outboundPassword: null,
    });
    expect(pbx).not.toHaveProperty("inboundPasswordSealed");
    const [bad] = directory.bySource("192.0.2.1");
    expect(bad?.id).toBe("trk_bad");
    expect(bad?.outboundPassword).toBeNull();
  });

  it("names an account's trunks, its default and the one dialled by target host, never another account's", async () => {
    const { db, t } = ts.store;
    const target = (host: string) => ({ host, port: 5060, transport: "udp" as const, priority: 0 });
    // Written in reverse: both "b-carrier" and "a-carrier" reach carrier.test, and the first by
    // name answers.
    await db.insert(t.trunks).values([
      trunkRow("trk_1", "acc_a", { name: "b-carrier", outboundTargets: [target("carrier.test")] }),
      trunkRow("trk_2", "acc_a", {
        name: "a-carrier",
        isDefault: true,
        outboundTargets: [target("backup.test"), target("Carrier.TEST")],
      }),
      trunkRow("trk_3", "acc_a", { name: "v6", outboundTargets: [target("2001:db8::5")] }),
      trunkRow("trk_4", "acc_b", {
        name: "a-carrier",
        isDefault: true,
        outboundTargets: [target("bolt.test")],
      }),
    ]);
    await mirrorCaughtUp(ts.store, mirror);

    expect(directory.byName("acc_a", "b-carrier")?.id).toBe("trk_1");
    expect(directory.byName("acc_b", "a-carrier")?.id).toBe("trk_4");
    expect(directory.byName("acc_b", "b-carrier")).toBeUndefined();
    expect(directory.defaultTrunk("acc_a")?.id).toBe("trk_2");
    expect(directory.defaultTrunk("acc_b")?.id).toBe("trk_4");
    expect(directory.defaultTrunk("acc_none")).toBeUndefined();
    expect(directory.byTargetHost("acc_a", "CARRIER.test")?.id).toBe("trk_2");
    expect(directory.byTargetHost("acc_a", "[2001:db8::5]")?.id).toBe("trk_3");
    expect(directory.byTargetHost("acc_a", "bolt.test")).toBeUndefined();
    expect(directory.byTargetHost("acc_b", "bolt.test")?.id).toBe("trk_4");

    // Two defaults (a change seen half-way): the first by name, on both sources.
    await db.update(t.trunks).set({ isDefault: true }).where(eq(t.trunks.id, "trk_3"));
    await db.update(t.trunks).set({ isDefault: false }).where(eq(t.trunks.id, "trk_2"));
    await db.update(t.trunks).set({ isDefault: true }).where(eq(t.trunks.id, "trk_1"));
    await mirrorCaughtUp(ts.store, mirror);
    expect(directory.defaultTrunk("acc_a")?.id).toBe("trk_1");
  });

  it("finds numbers, a user's lowest number, and the domain a number's calls go to", async () => {
    const { db, t } = ts.store;
    // Same creation time for dom_a2 and dom_a1: the id breaks the tie, as the mirror does.
    await db.insert(t.domains).values([
      { id: "dom_a3", accountId: "acc_a", name: "Three.A.test", createdAt: 5, updatedAt: 5 },
      { id: "dom_a2", accountId: "acc_a", name: "two.a.test", createdAt: 2, updatedAt: 2 },
      { id: "dom_a1", accountId: "acc_a", name: "One.A.test", createdAt: 2, updatedAt: 2 },
      { id: "dom_b", accountId: "acc_b", name: "b.test", createdAt: 1, updatedAt: 1 },
    ]);
    await db
      .insert(t.numbers)
      .values([
        numberRow("num_3", "+15550000003", { domainId: "dom_a3", user: "alice" }),
        numberRow("num_1", "+15550000001", { domainId: "dom_a3", user: "alice" }),
        numberRow("num_2", "+15550000002", { domainId: "dom_a3", user: "bob" }),
        numberRow("num_9", "+15550000009"),
      ]);
    await mirrorCaughtUp(ts.store, mirror);

    expect(directory.numberOfUser("dom_a3", "alice")).toBe("+15550000001");
    expect(directory.numberOfUser("dom_a3", "bob")).toBe("+15550000002");
    expect(directory.numberOfUser("dom_a2", "alice")).toBeUndefined();
    const n3 = directory.number("+15550000003");
    expect(n3).toMatchObject({ id: "num_3", accountId: "acc_a", domainId: "dom_a3", user: "alice" });
    expect(directory.number("+15559999999")).toBeUndefined();

    expect(directory.domainOf(n3!)).toEqual({ domainId: "dom_a3", accountId: "acc_a", name: "three.a.test" });
    // No domain: the account's oldest one.
    const n9 = directory.number("+15550000009")!;
    expect(directory.domainOf(n9)).toEqual({ domainId: "dom_a1", accountId: "acc_a", name: "one.a.test" });
    // A domain of another account is never where the number's calls go.
    expect(directory.domainOf({ ...n9, domainId: "dom_b" })?.domainId).toBe("dom_a1");
    expect(directory.domainOf({ ...n9, accountId: "acc_none" })).toBeUndefined();

    // What the caller gets is a copy: changing it changes no later answer.
    n3!.user = "mallory";
    expect(directory.number("+15550000003")?.user).toBe("alice");
  });

  it("lists every trunk's outbound targets by id, and reads the stored fraud limits", async () => {
    const { db, t } = ts.store;
    const limits = { ...NO_FRAUD_LIMITS, deniedPrefixes: ["+882"], dailyOutboundMinutes: 60 };
    const target = { host: "carrier.test", port: 5080, transport: "tcp" as const, priority: 1 };
    await db
      .insert(t.trunks)
      .values([
        trunkRow("trk_c", "acc_b", { name: "c" }),
        trunkRow("trk_a", "acc_a", { name: "a", outboundTargets: [target], fraudLimits: limits }),
        trunkRow("trk_b", "acc_a", { name: "b" }),
      ]);
    await mirrorCaughtUp(ts.store, mirror);

    expect(directory.outboundTargets()).toEqual([
      { id: "trk_a", accountId: "acc_a", name: "a", outboundTargets: [target] },
      { id: "trk_b", accountId: "acc_a", name: "b", outboundTargets: [] },
      { id: "trk_c", accountId: "acc_b", name: "c", outboundTargets: [] },
    ]);
    expect(directory.trunkLimits("trk_a")).toEqual({ name: "a", limits });
    expect(directory.trunkLimits("trk_none")).toBeUndefined();
    expect(directory.accountLimits("acc_a")).toEqual({
      name: "Acme",
      limits: { ...NO_FRAUD_LIMITS, callsPerSecond: 3 },
    });
    expect(directory.accountLimits("acc_none")).toBeUndefined();
  });

  it("answers from what was last committed: trunks and numbers changed and deleted", async () => {
    const { db, t } = ts.store;
    await db.insert(t.trunks).values(trunkRow("trk_1", "acc_a", { inboundAddresses: ["192.0.2.1"] }));
    await db.insert(t.numbers).values(numberRow("num_1", "+15550000001", { trunkId: "trk_1" }));
    await mirrorCaughtUp(ts.store, mirror);
    expect(directory.bySource("192.0.2.1").map((x) => x.id)).toEqual(["trk_1"]);
    expect(directory.number("+15550000001")?.trunkId).toBe("trk_1");

    await db
      .update(t.trunks)
      .set({ inboundAddresses: ["192.0.2.2"], name: "renamed" })
      .where(eq(t.trunks.id, "trk_1"));
    await mirrorCaughtUp(ts.store, mirror);
    expect(directory.bySource("192.0.2.1")).toEqual([]);
    expect(directory.bySource("192.0.2.2").map((x) => x.name)).toEqual(["renamed"]);
    expect(directory.byName("acc_a", "trk_1")).toBeUndefined();
    expect(directory.byName("acc_a", "renamed")?.id).toBe("trk_1");

    // Deleting the trunk sets the number's trunk to null (a foreign key), seen on both sources.
    await db.delete(t.trunks).where(eq(t.trunks.id, "trk_1"));
    await mirrorCaughtUp(ts.store, mirror);
    expect(directory.bySource("192.0.2.2")).toEqual([]);
    expect(directory.outboundTargets()).toEqual([]);
    expect(directory.trunkLimits("trk_1")).toBeUndefined();
    expect(directory.number("+15550000001")?.trunkId).toBeNull();
  });
});
