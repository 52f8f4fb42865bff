/** A Store runs the same awaited drizzle code on a real SQLite file and a real PostgreSQL. */
import { afterAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { first } from "./store.js";
import { DIALECTS, openTestStore, stopPostgres } from "./testing/stores.js";

afterAll(() => stopPostgres(), 60_000);

describe.each(DIALECTS)("Store on %s", (dialect) => {
  it("inserts, reads JSON and boolean columns back as JavaScript values, updates and upserts", async () => {
    const { store, cleanup } = await openTestStore(dialect);
    const { db, t } = store;
    try {
      await db.insert(t.accounts).values({ id: "acc_1", name: "one", createdAt: 1_700_000_000_123 });
      const row = first(await db.select().from(t.accounts).where(eq(t.accounts.id, "acc_1")).limit(1));
      expect(row).toMatchObject({ id: "acc_1", name: "one", createdAt: 1_700_000_000_123 });
      expect(row?.fraudLimits).toBeTypeOf("object");
      const [cb] = await db
        .insert(t.callbacks)
        .values({
          id: "cb_1",
          accountId: "acc_1",
          url: "http://127.0.0.1/x",
          events: ["sip.INVITE"],
          secret: "whsec_x",
          createdAt: 1,
          updatedAt: 1,
        })
        .returning();
      expect(cb).toMatchObject({ events: ["sip.INVITE"], enabled: true });
      await db.update(t.callbacks).set({ enabled: false }).where(eq(t.callbacks.id, "cb_1"));
      const [off] = await db.select({ enabled: t.callbacks.enabled }).from(t.callbacks);
      expect(off?.enabled).toBe(false);
      await db
        .insert(t.accounts)
        .values({ id: "acc_1", name: "renamed", createdAt: 2 })
        .onConflictDoUpdate({ target: t.accounts.id, set: { name: "renamed" } });
      expect((await db.select().from(t.accounts)).map((a) => a.name)).toEqual(["renamed"]);
    } finally {
      await cleanup();
    }
  });

  it("commits a transaction that resolves and rolls back one that throws", async () => {
    const { store, cleanup } = await openTestStore(dialect);
    const { db, t } = store;
    try {
      await store.transaction(async (tx) => {
        await tx.insert(t.accounts).values({ id: "acc_kept", name: "kept", createdAt: 1 });
      });
      await expect(
        store.transaction(async (tx) => {
          await tx.insert(t.accounts).values({ id: "acc_lost", name: "lost", createdAt: 1 });
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      // Two at once: each is whole (SQLite runs them one after the other).
      await Promise.all(
        ["a", "b"].map((s) =>
          store.transaction(async (tx) => {
            await tx.insert(t.accounts).values({ id: `acc_${s}`, name: s, createdAt: 1 });
            await tx
              .update(t.accounts)
              .set({ name: `${s}!` })
              .where(eq(t.accounts.id, `acc_${s}`));
          }),
        ),
      );
      const names = (await db.select().from(t.accounts)).map((a) => a.name).sort();
      expect(names).toEqual(["a!", "b!", "kept"]);
    } finally {
      await cleanup();
    }
  });
});
