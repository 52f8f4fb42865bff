/**
 * The registrations writer on a real PostgreSQL (a throwaway cluster or HOOKLINE_TEST_POSTGRES_URL):
 * the group commit of binding-store.ts, asynchronous, in queue order.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { asc } from "@hookline/db";
import { openPostgres, pgSchema, type OpenedPostgres } from "@hookline/db/pg";
import { freshPostgresDatabase, stopPostgres } from "@hookline/db/testing/stores";
import type { BindingRow } from "./binding-store.js";
import { PgBindingStore } from "./pg-binding-store.js";

const DOMAIN = "acme.test";
const { accounts, domains, registrations } = pgSchema;
let pg: OpenedPostgres;

beforeEach(async () => {
  pg = await openPostgres({ url: await freshPostgresDatabase(), max: 4 });
  await pg.db.insert(accounts).values({ id: "acc_1", name: "Acme", createdAt: 1 });
  await pg.db
    .insert(domains)
    .values({ id: "dom_1", accountId: "acc_1", name: DOMAIN, createdAt: 1, updatedAt: 1 });
});
afterEach(() => pg.close());
afterAll(stopPostgres, 60_000);

const row = (user: string, o: Partial<BindingRow> = {}): BindingRow => ({
  id: `reg_${user}`,
  accountId: "acc_1",
  domainId: "dom_1",
  aor: `sip:${user}@${DOMAIN}`,
  contact: `sip:${user}@127.0.0.1:5070`,
  transport: "udp",
  source: "127.0.0.1:5070",
  expiresAt: 10_000,
  instanceId: null,
  connectionId: null,
  sipCallId: `c-${user}`,
  cseq: 1,
  userAgent: null,
  now: 1000,
  ...o,
});
const stored = async () =>
  (await pg.db.select().from(registrations).orderBy(asc(registrations.aor))).map((r) => [r.aor, r.cseq]);

describe("PgBindingStore", () => {
  it("commits one turn's changes in one transaction, then calls each back in order", async () => {
    const store = new PgBindingStore(pg.db);
    const done: string[] = [];
    for (const user of ["a", "b", "c"])
      store.write([{ kind: "save", row: row(user) }], () => done.push(user));
    expect(store.pending).toBe(3);
    await store.idle();
    expect(store.commits).toBe(1);
    expect(store.pending).toBe(0);
    expect(done).toEqual(["a", "b", "c"]);
    expect(await stored()).toHaveLength(3);
  });

  it("applies writes in queue order across turns: a refresh keeps id and createdAt, then a removal", async () => {
    const store = new PgBindingStore(pg.db);
    store.write([{ kind: "save", row: row("a") }], () => undefined);
    store.flush();
    store.write([{ kind: "save", row: row("a", { id: "reg_other", cseq: 2, now: 2000 }) }], () => undefined);
    store.flush();
    await store.idle();
    const [refreshed] = await pg.db.select().from(registrations);
    expect(refreshed).toMatchObject({ id: "reg_a", cseq: 2, createdAt: 1000, updatedAt: 2000 });
    // Saved and removed in the same turn: the removal comes last.
    store.write([{ kind: "save", row: row("b") }], () => undefined);
    store.write(
      [{ kind: "remove", aor: `sip:b@${DOMAIN}`, contact: "sip:b@127.0.0.1:5070" }],
      () => undefined,
    );
    store.write([{ kind: "expire", at: 10_000 }], () => undefined);
    const before = store.commits;
    await store.idle();
    expect(await stored()).toEqual([]);
    // The sweep's delete commits alone: the save and removal in one transaction, then it.
    expect(store.commits - before).toBe(2);
  });

  it("a refused change is reported to its own callback; the others of its commit are stored", async () => {
    const store = new PgBindingStore(pg.db);
    const errors = new Map<string, unknown>();
    for (const user of ["a", "b", "c"]) {
      // b names a domain that does not exist: the foreign key refuses it.
      const r = row(user, user === "b" ? { domainId: "dom_missing" } : {});
      store.write([{ kind: "save", row: r }], (err) => errors.set(user, err));
    }
    await store.idle();
    expect(errors.get("a")).toBeUndefined();
    expect(errors.get("b")).toBeInstanceOf(Error);
    expect(errors.get("c")).toBeUndefined();
    expect(await stored()).toEqual([
      [`sip:a@${DOMAIN}`, 1],
      [`sip:c@${DOMAIN}`, 1],
    ]);
  });

  it("restore keeps to this node's rows: deletes its expired and connection-bound ones, returns the rest", async () => {
    const mine = new PgBindingStore(pg.db, "node-1");
    const theirs = new PgBindingStore(pg.db, "node-2");
    mine.write(
      [
        { kind: "save", row: row("udp") },
        { kind: "save", row: row("ws", { transport: "ws" }) },
        { kind: "save", row: row("tls", { transport: "tls" }) },
        { kind: "save", row: row("old", { expiresAt: 500 }) },
      ],
      () => undefined,
    );
    theirs.write(
      [
        { kind: "save", row: row("their-ws", { transport: "ws" }) },
        { kind: "save", row: row("their-udp") },
      ],
      () => undefined,
    );
    await Promise.all([mine.idle(), theirs.idle()]);
    const kept = await mine.restore(1000);
    expect(kept.map((r) => [r.aor, r.nodeId])).toEqual([[`sip:udp@${DOMAIN}`, "node-1"]]);
    // The other node's bindings, its WebSocket one included, are alive there: untouched.
    expect(await stored()).toEqual([
      [`sip:their-udp@${DOMAIN}`, 1],
      [`sip:their-ws@${DOMAIN}`, 1],
      [`sip:udp@${DOMAIN}`, 1],
    ]);
  });

  it("a phone registering again on another node takes its row over", async () => {
    const first = new PgBindingStore(pg.db, "node-1");
    first.write([{ kind: "save", row: row("alice") }], () => undefined);
    await first.idle();
    const second = new PgBindingStore(pg.db, "node-2");
    second.write([{ kind: "save", row: row("alice", { cseq: 2, now: 2000 }) }], () => undefined);
    await second.idle();
    expect(await first.restore(1500)).toEqual([]);
    const [r] = await pg.db.select().from(registrations);
    expect(r).toMatchObject({ nodeId: "node-2", cseq: 2 });
  });

  it("a node seeing the old connection of a binding that moved to another node leaves its row alone", async () => {
    const first = new PgBindingStore(pg.db, "node-1");
    first.write([{ kind: "save", row: row("bob") }], () => undefined);
    await first.idle();
    const second = new PgBindingStore(pg.db, "node-2");
    second.write([{ kind: "save", row: row("bob", { cseq: 2 }) }], () => undefined);
    await second.idle();
    first.write([{ kind: "remove", aor: `sip:bob@${DOMAIN}`, contact: row("bob").contact }], () => undefined);
    await first.idle();
    expect((await pg.db.select().from(registrations)).map((r) => r.nodeId)).toEqual(["node-2"]);
  });

  it("writes each binding's Path for the flow it reaches the contact on, and again once listening", async () => {
    let port = 5060;
    const pathFor = (flow: { remoteAddress: string; remotePort: number }) =>
      `<sip:${flow.remoteAddress}~${flow.remotePort}@10.0.0.1:${port};lr;hl>`;
    const store = new PgBindingStore(pg.db, "node-1", pathFor);
    // A phone not behind NAT: its contact names the address the REGISTER came from, another port.
    store.write(
      [
        {
          kind: "save",
          row: row("carol", { contact: "sip:carol@127.0.0.1:5080", source: "127.0.0.1:5062" }),
        },
      ],
      () => undefined,
    );
    await store.idle();
    const paths = async () => (await pg.db.select().from(registrations)).map((r) => r.path);
    expect(await paths()).toEqual(["<sip:127.0.0.1~5080@10.0.0.1:5060;lr;hl>"]);
    // The next run listens on another port: the restored row's Path follows.
    port = 5070;
    await new PgBindingStore(pg.db, "node-1", pathFor).repath();
    expect(await paths()).toEqual(["<sip:127.0.0.1~5080@10.0.0.1:5070;lr;hl>"]);
  });
});
