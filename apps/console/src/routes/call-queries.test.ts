/** The calls list's filters read the same on both dialects (a real SQLite file, a real PostgreSQL). */
import { afterAll, describe, expect, it } from "vitest";
import { DIALECTS, openTestStore, stopPostgres } from "@hookline/db/testing/stores";
import { listCalls } from "./call-queries.js";

afterAll(stopPostgres, 60_000);

describe.each(DIALECTS)("on %s", (dialect) => {
  it("finds a user's calls case-insensitively, with % and _ in the name taken literally", async () => {
    const { store, cleanup } = await openTestStore(dialect);
    try {
      const { accounts, calls } = store.t;
      await store.db.insert(accounts).values({ id: "acc_1", name: "Acme", createdAt: 1 });
      const call = (id: string, from: string, startedAt: number) => ({
        id,
        accountId: "acc_1",
        sipCallId: `${id}@test`,
        from,
        to: "sip:bob@acme.test",
        state: "completed" as const,
        startedAt,
      });
      await store.db
        .insert(calls)
        .values([
          call("call_1", "sip:Alice@acme.test", 1),
          call("call_2", "sips:alice@acme.test", 2),
          call("call_3", "sip:a_b@acme.test", 3),
          call("call_4", "sip:axb@acme.test", 4),
        ]);
      const ids = async (user: string) =>
        (await listCalls(store, { accountId: "acc_1", user, limit: 10 })).map((c) => c.id);
      expect(await ids("ALICE")).toEqual(["call_2", "call_1"]);
      expect(await ids("a_b")).toEqual(["call_3"]);
      expect(await ids("%")).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});
