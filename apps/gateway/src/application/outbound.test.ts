/**
 * The reads of calls the platform starts (SPEC §5 `POST /v1/calls`) and of a domain's hook
 * settings, on both sources: the SQLite database, and on PostgreSQL the directory mirror. Rows are
 * written through a Store; on PostgreSQL each write is followed by a barrier (a marker row changed,
 * polled for to a bound in the mirror: notifications arrive in commit order and are read in turn).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "@hookline/db";
import { DirectoryMirror } from "@hookline/db/pg";
import {
  DIALECTS,
  mirrorCaughtUp,
  openTestStore,
  stopPostgres,
  type TestStore,
} from "@hookline/db/testing/stores";
import { silentLogger } from "@hookline/log";
import type { B2bua } from "../b2bua/b2bua.js";
import type { CallDirectory } from "../b2bua/ports.js";
import type { ApplicationRouter } from "./router.js";
import { accountDomains, applicationConfigReader, startCall, type DomainSource } from "./outbound.js";

afterAll(stopPostgres, 60_000);

describe.each(DIALECTS)("outbound calls' domain reads on %s", (dialect) => {
  let ts: TestStore;
  let mirror: DirectoryMirror | undefined;
  let source: DomainSource;
  beforeEach(async () => {
    ts = await openTestStore(dialect);
    const { db, t } = ts.store;
    await db.insert(t.accounts).values([
      { id: "acc_a", name: "A", createdAt: 1 },
      { id: "acc_b", name: "B", createdAt: 1 },
    ]);
    // Written out of age order; dom_a1 and dom_a2 made in the same millisecond.
    await db.insert(t.domains).values([
      {
        id: "dom_a3",
        accountId: "acc_a",
        name: "Three.A.test",
        applicationUrl: "https://app.test/hook",
        fallbackUrl: "https://fallback.test/hook",
        applicationTimeoutMs: 2000,
        hookSecret: "whsec_three",
        createdAt: 9,
        updatedAt: 9,
      },
      { id: "dom_a2", accountId: "acc_a", name: "two.a.test", createdAt: 3, updatedAt: 3 },
      { id: "dom_a1", accountId: "acc_a", name: "ONE.a.test", createdAt: 3, updatedAt: 3 },
      { id: "dom_b", accountId: "acc_b", name: "b.test", createdAt: 1, updatedAt: 1 },
    ]);
    if (ts.pg) {
      mirror = new DirectoryMirror({ url: ts.pg.url, db: ts.pg.db, logger: silentLogger, reconnectMs: 50 });
      await mirror.start();
      source = mirror;
    } else {
      mirror = undefined;
      source = ts.sqlite!.db;
    }
  });
  afterEach(async () => {
    await mirror?.stop();
    await ts.cleanup();
  });

  it("lists an account's domains oldest first, ties by id, names in lower case", () => {
    expect(accountDomains(source, "acc_a")).toEqual([
      { domainId: "dom_a1", accountId: "acc_a", name: "one.a.test" },
      { domainId: "dom_a2", accountId: "acc_a", name: "two.a.test" },
      { domainId: "dom_a3", accountId: "acc_a", name: "three.a.test" },
    ]);
    expect(accountDomains(source, "acc_b").map((x) => x.domainId)).toEqual(["dom_b"]);
    expect(accountDomains(source, "acc_none")).toEqual([]);
  });

  it("reads a domain's hook settings as last committed, with the default timeout", async () => {
    const config = applicationConfigReader(source);
    expect(config("dom_a3")).toEqual({
      applicationUrl: "https://app.test/hook",
      fallbackUrl: "https://fallback.test/hook",
      timeoutMs: 2000,
      secret: "whsec_three",
    });
    expect(config("dom_a2")).toEqual({
      applicationUrl: null,
      fallbackUrl: null,
      timeoutMs: 5000,
      secret: null,
    });
    expect(config("dom_none")).toBeUndefined();

    const { db, t } = ts.store;
    await db
      .update(t.domains)
      .set({ applicationUrl: "https://new.test/hook", applicationTimeoutMs: null })
      .where(eq(t.domains.id, "dom_a3"));
    await mirrorCaughtUp(ts.store, mirror);
    expect(config("dom_a3")).toMatchObject({ applicationUrl: "https://new.test/hook", timeoutMs: 5000 });
  });

  it("starts a call in the domain `to` names, or refuses a domain of another account", () => {
    const originated: Array<{ domain: { domainId: string }; from: string; to: string }> = [];
    const b2bua = {
      originate: (o: { domain: { domainId: string }; from: string; to: string }) => {
        originated.push(o);
        return `call_${originated.length}`;
      },
    } as unknown as B2bua;
    // Every user exists and none is registered: the call is still started (it rings nobody yet).
    const directory = { userExists: () => true, lookup: () => [] } as unknown as CallDirectory;
    const deps = { db: source, b2bua, directory, router: {} as ApplicationRouter };

    expect(startCall(deps, "acc_a", { to: "sip:alice@TWO.a.test" })).toEqual({
      ok: true,
      id: "call_1",
      from: "sip:hookline@two.a.test",
      to: "sip:alice@TWO.a.test",
    });
    expect(originated[0]?.domain.domainId).toBe("dom_a2");
    expect(startCall(deps, "acc_a", { to: "sip:alice@b.test" })).toMatchObject({ ok: false, status: 404 });
    // A bare user name needs the account to have one domain.
    expect(startCall(deps, "acc_a", { to: "alice" })).toMatchObject({ ok: false, status: 400 });
    expect(startCall(deps, "acc_b", { to: "alice" })).toMatchObject({
      ok: true,
      from: "sip:hookline@b.test",
      to: "sip:alice@b.test",
    });
    expect(originated).toHaveLength(2);
  });
});
