import { registrations } from "@hookline/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteBindingStore } from "./binding-store.js";
import type { BindingRow, BindingWrite } from "./binding-store.js";
import { addTenant, DOMAIN, tempDatabase } from "./test-support.js";
import type { Tenant } from "./test-support.js";

let temp: ReturnType<typeof tempDatabase>;
let tenant: Tenant;
beforeEach(() => {
  temp = tempDatabase();
  tenant = addTenant(temp.database, DOMAIN, { alice: "secret" });
});
afterEach(() => temp.close());

const row = (user: string, cseq = 1): BindingRow => ({
  id: `reg_${user}`,
  accountId: tenant.accountId,
  domainId: tenant.domainId,
  aor: `sip:${user}@${DOMAIN}`,
  contact: `sip:${user}@127.0.0.1:5070`,
  transport: "udp",
  source: "127.0.0.1:5070",
  expiresAt: 10_000,
  instanceId: null,
  connectionId: null,
  sipCallId: `c-${user}`,
  cseq,
  userAgent: null,
  now: 1000,
});
const stored = () =>
  temp.database.db
    .select()
    .from(registrations)
    .all()
    .map((r) => [r.aor, r.cseq]);

describe("BindingStore", () => {
  it("commits the changes queued in one turn in one transaction, then calls each back in order", async () => {
    const store = new SqliteBindingStore(temp.database.db);
    const done: string[] = [];
    for (const user of ["a", "b", "c"])
      store.write([{ kind: "save", row: row(user) }], () => done.push(user));
    expect(store.pending).toBe(3);
    expect(stored()).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.commits).toBe(1);
    expect(done).toEqual(["a", "b", "c"]);
    expect(stored()).toHaveLength(3);
  });

  it("refreshes a row in place and removes one by AOR and contact", () => {
    const store = new SqliteBindingStore(temp.database.db);
    const write = (w: BindingWrite) => {
      store.write([w], () => undefined);
      store.flush();
    };
    write({ kind: "save", row: row("a") });
    write({ kind: "save", row: { ...row("a", 2), id: "reg_other", now: 2000 } });
    const [refreshed] = temp.database.db.select().from(registrations).all();
    expect(refreshed).toMatchObject({ id: "reg_a", cseq: 2, createdAt: 1000, updatedAt: 2000 });
    write({ kind: "remove", aor: `sip:a@${DOMAIN}`, contact: "sip:a@127.0.0.1:5070" });
    expect(stored()).toEqual([]);
  });

  it("a refused change is reported to its own callback; the others of its commit are stored", () => {
    const store = new SqliteBindingStore(temp.database.db);
    temp.database.sqlite.exec(
      `CREATE TRIGGER refuse_b BEFORE INSERT ON registrations WHEN NEW.aor LIKE 'sip:b@%'
       BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    );
    const errors = new Map<string, unknown>();
    for (const user of ["a", "b", "c"])
      store.write([{ kind: "save", row: row(user) }], (err) => errors.set(user, err));
    store.flush();
    expect(errors.get("a")).toBeUndefined();
    expect((errors.get("b") as Error).message).toBe("refused for the test");
    expect(errors.get("c")).toBeUndefined();
    expect(stored()).toEqual([
      [`sip:a@${DOMAIN}`, 1],
      [`sip:c@${DOMAIN}`, 1],
    ]);
  });
});
