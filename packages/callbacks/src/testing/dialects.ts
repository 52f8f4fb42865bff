/**
 * For tests: the engine's storage on both dialects, behind one async fixture, so that the tests
 * about storage semantics run on a real SQLite file and on a real PostgreSQL, each test on a fresh
 * database. The database comes from @hookline/db's openTestStore; the seeding and reading below
 * go through its Store, so they are one code for both dialects.
 */
import { eq, first, openDatabase } from "@hookline/db";
import type { Database, Dialect, Store } from "@hookline/db";
import { openPostgres, type PgDatabase } from "@hookline/db/pg";
import { openTestStore, stopPostgres } from "@hookline/db/testing/stores";
import { newWebhookSecret } from "../signing.js";

export type DialectName = Dialect;

export interface CallbackFixture {
  accountId: string;
  url: string;
  events: string[];
  callId?: string;
  filter?: string;
}

export interface DeliveryState {
  status: "pending" | "succeeded" | "failed";
  attemptCount: number;
  lastError: string | null;
  leaseOwner: string | null;
}

export interface DialectDb {
  dialect: DialectName;
  /** The dialect's own handle, as the engine takes it. */
  db: Database | PgDatabase;
  /** The same database behind a Store, for the code that takes one. */
  store: Store;
  /** PostgreSQL only: the database's URL, for other processes. */
  url: string | null;
  seedAccount(id?: string): Promise<string>;
  seedCall(accountId: string, id: string): Promise<void>;
  addCallback(o: CallbackFixture): Promise<{ id: string; secret: string }>;
  delivery(id: string): Promise<DeliveryState | undefined>;
  callbackEnabled(id: string): Promise<boolean | undefined>;
  /** Another connection (another process's view) to the same database, closed with cleanup. */
  reopen(): Promise<Database | PgDatabase>;
  cleanup(): Promise<void>;
}

export { stopPostgres };

export async function openDialect(dialect: DialectName): Promise<DialectDb> {
  const opened = await openTestStore(dialect);
  const { store, sqlite, pg } = opened;
  const { db: sdb, t } = store;
  const others: Array<() => void | Promise<void>> = [];
  const native = sqlite?.db ?? pg?.db;
  if (!native) throw new Error(`openTestStore(${dialect}) opened no database`);
  return {
    dialect,
    db: native,
    store,
    url: pg?.url ?? null,
    seedAccount: (id) => seedAccount(store, id),
    seedCall: (accountId, id) => seedCall(store, accountId, id),
    addCallback: (o) => addCallback(store, o),
    delivery: async (id) =>
      first(await sdb.select().from(t.deliveries).where(eq(t.deliveries.id, id)).limit(1)),
    callbackEnabled: async (id) =>
      first(
        await sdb
          .select({ enabled: t.callbacks.enabled })
          .from(t.callbacks)
          .where(eq(t.callbacks.id, id))
          .limit(1),
      )?.enabled,
    reopen: async () => {
      if (sqlite) {
        const other = openDatabase({ file: sqlite.file });
        others.push(() => other.close());
        return other.db;
      }
      if (!pg) throw new Error("no database to reopen");
      const other = await openPostgres({ url: pg.url, max: 4 });
      others.push(() => other.close());
      return other.db;
    },
    cleanup: async () => {
      for (const close of others) await close();
      await opened.cleanup();
    },
  };
}

/** An account (kept if it exists); returns its id. */
export async function seedAccount(store: Store, id = "acc_test"): Promise<string> {
  const { db, t } = store;
  await db.insert(t.accounts).values({ id, name: id, createdAt: Date.now() }).onConflictDoNothing();
  return id;
}

/** A call's row, for the per-call callbacks that refer to it. */
export async function seedCall(store: Store, accountId: string, id: string): Promise<void> {
  await store.db.insert(store.t.calls).values(callRow(accountId, id));
}

/** A callback row as the API would store it, with a fresh secret. */
export async function addCallback(store: Store, o: CallbackFixture): Promise<{ id: string; secret: string }> {
  const now = Date.now();
  const row = {
    id: `cb_${Math.random().toString(36).slice(2)}`,
    accountId: o.accountId,
    callId: o.callId ?? null,
    url: o.url,
    events: o.events,
    filter: o.filter ?? null,
    secret: newWebhookSecret(),
    createdAt: now,
    updatedAt: now,
  };
  await store.db.insert(store.t.callbacks).values(row);
  return { id: row.id, secret: row.secret };
}

function callRow(accountId: string, id: string) {
  return {
    id,
    accountId,
    sipCallId: `${id}@test`,
    from: "sip:a@x",
    to: "sip:b@x",
    state: "initiated" as const,
    startedAt: Date.now(),
  };
}
