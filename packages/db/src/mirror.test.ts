/**
 * The directory mirror on a real PostgreSQL (a throwaway cluster or HOOKLINE_TEST_POSTGRES_URL):
 * what another connection commits reaches it through LISTEN/NOTIFY, and what was committed while
 * its listening connection was gone reaches it when it listens again. Waits poll to a bound.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { silentLogger } from "@hookline/log";
import { DirectoryMirror } from "./mirror.js";
import { NO_FRAUD_LIMITS } from "./schema/index.js";
import { openPostgres, pgSchema, type OpenedPostgres } from "./pg.js";
import { freshPostgresDatabase, stopPostgres } from "./testing/stores.js";

const { accounts, credentials, domains, nodes, numbers, registrations, trunks } = pgSchema;

let url: string;
let writer: OpenedPostgres;
let mirror: DirectoryMirror;

async function until<T>(what: string, read: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const domainRow = (id: string, name: string, createdAt = 1) => ({
  id,
  accountId: "acc_1",
  name,
  createdAt,
  updatedAt: createdAt,
});
const credentialRow = (id: string, domainId: string, username: string) => ({
  id,
  accountId: "acc_1",
  domainId,
  username,
  realm: "acme.test",
  ha1Md5: "0".repeat(32),
  ha1Sha256: "0".repeat(64),
  createdAt: 1,
});

const trunkRow = (id: string, name: string) => ({
  id,
  accountId: "acc_1",
  name,
  outboundTargets: [],
  inboundAddresses: [],
  numberFormat: {
    countryCode: null,
    nationalPrefix: null,
    techPrefix: null,
    outboundFormat: "e164" as const,
  },
  codecs: [],
  callerId: { number: null, assertIdentity: false },
  fraudLimits: NO_FRAUD_LIMITS,
  createdAt: 1,
  updatedAt: 1,
});

beforeEach(async () => {
  url = await freshPostgresDatabase();
  writer = await openPostgres({ url, max: 2 });
  await writer.db.insert(accounts).values({ id: "acc_1", name: "Acme", createdAt: 1 });
  await writer.db.insert(domains).values(domainRow("dom_1", "acme.test"));
  mirror = new DirectoryMirror({ url, db: writer.db, logger: silentLogger, reconnectMs: 50 });
});
afterEach(async () => {
  await mirror.stop();
  await writer.close();
});
afterAll(stopPostgres, 60_000);

describe("directory mirror (PostgreSQL)", () => {
  it("holds every table at start and follows inserts, updates and deletes from another connection", async () => {
    await mirror.start();
    expect(mirror.stale).toBe(false);
    expect(mirror.domainByName("ACME.test")?.id).toBe("dom_1");
    expect(mirror.row("accounts", "acc_1")?.name).toBe("Acme");

    await writer.db.insert(credentials).values(credentialRow("crd_1", "dom_1", "alice"));
    expect((await until("alice", () => mirror.credential("dom_1", "alice"))).id).toBe("crd_1");

    // A rename moves the row between names: the old one no longer finds it.
    await writer.db.update(domains).set({ name: "acme.example" }).where(eq(domains.id, "dom_1"));
    await until("the new name", () => mirror.domainByName("acme.example"));
    expect(mirror.domainByName("acme.test")).toBeUndefined();

    await writer.db.insert(trunks).values([trunkRow("trk_b", "b-carrier"), trunkRow("trk_a", "a-carrier")]);
    await writer.db.insert(numbers).values([
      {
        id: "num_2",
        number: "+15550000002",
        accountId: "acc_1",
        domainId: "dom_1",
        user: "alice",
        createdAt: 1,
      },
      {
        id: "num_1",
        number: "+15550000001",
        accountId: "acc_1",
        domainId: "dom_1",
        user: "alice",
        createdAt: 1,
      },
    ]);
    await until("the numbers", () =>
      mirror.numbersOfUser("dom_1", "alice").length === 2 ? true : undefined,
    );
    expect(mirror.numbersOfUser("dom_1", "alice").map((n) => n.number)).toEqual([
      "+15550000001",
      "+15550000002",
    ]);
    expect(mirror.trunksOfAccount("acc_1").map((t) => t.name)).toEqual(["a-carrier", "b-carrier"]);
    expect(mirror.number("+15550000002")?.user).toBe("alice");

    await writer.db.delete(credentials).where(eq(credentials.id, "crd_1"));
    await until("alice removed", () => (mirror.credential("dom_1", "alice") ? undefined : true));
    // A transaction rolled back notifies nothing and changes nothing.
    await writer.db
      .transaction(async (tx) => {
        await tx.insert(credentials).values(credentialRow("crd_2", "dom_1", "bob"));
        throw new Error("rolled back");
      })
      .catch(() => undefined);
    await writer.db.insert(credentials).values(credentialRow("crd_3", "dom_1", "carol"));
    await until("carol", () => mirror.credential("dom_1", "carol"));
    expect(mirror.credential("dom_1", "bob")).toBeUndefined();
  });

  it("reads every table again after its listening connection is lost, so changes made meanwhile are not missed", async () => {
    await mirror.start();
    expect(mirror.loads).toBe(1);
    const pid = mirror.listenerPid;
    expect(pid).toBeGreaterThan(0);
    // Ends the listening connection from the server's side (a restart, a network cut), then
    // commits changes at once, before the mirror can listen again: their notifications are lost.
    await writer.pool.query("SELECT pg_terminate_backend($1)", [pid]);
    await writer.db.insert(domains).values(domainRow("dom_2", "while-away.test", 2));
    await writer.db.delete(domains).where(eq(domains.id, "dom_1"));
    await until("a second full read", () => (mirror.loads >= 2 ? true : undefined));
    expect(mirror.listenerPid).not.toBe(pid);
    expect(mirror.stale).toBe(false);
    expect(mirror.domainByName("while-away.test")?.id).toBe("dom_2");
    expect(mirror.domainByName("acme.test")).toBeUndefined();
    expect(mirror.domainsOfAccount("acc_1").map((d) => d.id)).toEqual(["dom_2"]);
    // And it listens again: a later change arrives by notification.
    await writer.db.insert(credentials).values(credentialRow("crd_9", "dom_2", "dave"));
    await until("dave", () => mirror.credential("dom_2", "dave"));
  });

  it("refuses to start when it cannot listen, and leaves nothing running", async () => {
    const unreachable = new DirectoryMirror({
      url: "postgres://hookline@127.0.0.1:1/none",
      db: writer.db,
      logger: silentLogger,
      reconnectMs: 50,
    });
    await expect(unreachable.start()).rejects.toThrow();
    expect(unreachable.stale).toBe(true);
    expect(unreachable.listenerPid).toBeUndefined();
    // Stopped: no reconnection is attempted after the refusal.
    await new Promise((r) => setTimeout(r, 200));
    expect(unreachable.listenerPid).toBeUndefined();
    expect(unreachable.loads).toBe(0);
  });

  it("caughtUp resolves once what was committed before it is in the mirror", async () => {
    await mirror.start();
    for (let i = 0; i < 5; i++) {
      await writer.db.insert(credentials).values(credentialRow(`crd_c${i}`, "dom_1", `user${i}`));
      await mirror.caughtUp();
      // No wait of the test's own: the write is there as soon as caughtUp resolves.
      expect(mirror.credential("dom_1", `user${i}`)?.id).toBe(`crd_c${i}`);
    }
  });

  it("holds the nodes and where each binding is held; a refresh that only moves the expiry is not read again", async () => {
    await mirror.start();
    const node = { roles: "gateway", version: "1", instance: "i", startedAt: 1, heartbeatMs: 5000 };
    await writer.db.insert(nodes).values({ ...node, id: "node-2", heartbeatAt: 1 });
    const binding = {
      id: "reg_1",
      accountId: "acc_1",
      domainId: "dom_1",
      aor: "sip:bob@acme.test",
      contact: "sip:x@y.invalid;transport=ws",
      transport: "ws" as const,
      source: "127.0.0.2:40000",
      expiresAt: 1000,
      nodeId: "node-2",
      path: "<sip:flow@127.0.0.2:5060;lr>",
      createdAt: 1,
      updatedAt: 1,
    };
    await writer.db.insert(registrations).values(binding);
    await mirror.caughtUp();
    expect(mirror.row("nodes", "node-2")?.heartbeatAt).toBe(1);
    expect(mirror.registrationsOf("sip:bob@acme.test").map((r) => [r.nodeId, r.path])).toEqual([
      ["node-2", "<sip:flow@127.0.0.2:5060;lr>"],
    ]);

    await writer.db.update(nodes).set({ heartbeatAt: 2 }).where(eq(nodes.id, "node-2"));
    await writer.db.update(registrations).set({ expiresAt: 2000 }).where(eq(registrations.id, "reg_1"));
    await mirror.caughtUp();
    expect(mirror.row("nodes", "node-2")?.heartbeatAt).toBe(2);
    // The refresh was not notified: the mirror still has the expiry it read first.
    expect(mirror.registrationsOf("sip:bob@acme.test")[0]?.expiresAt).toBe(1000);

    await writer.db
      .update(registrations)
      .set({ nodeId: "node-3", path: "<sip:flow@127.0.0.3:5060;lr>", expiresAt: 3000 })
      .where(eq(registrations.id, "reg_1"));
    await mirror.caughtUp();
    expect(mirror.registrationsOf("sip:bob@acme.test").map((r) => [r.nodeId, r.expiresAt])).toEqual([
      ["node-3", 3000],
    ]);

    await writer.db.delete(registrations).where(eq(registrations.id, "reg_1"));
    await mirror.caughtUp();
    expect(mirror.registrationsOf("sip:bob@acme.test")).toEqual([]);
  });
});
