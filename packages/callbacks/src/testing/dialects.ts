/**
 * For tests: the engine's storage on both dialects, behind one async fixture, so that the tests
 * about storage semantics run on a real SQLite file and on a real PostgreSQL (startPostgres: a
 * throwaway cluster, or HOOKLINE_TEST_POSTGRES_URL), each test on a fresh database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accounts as sqliteAccounts, calls as sqliteCalls, eq, openDatabase } from "@hookline/db";
import type { Database, Dialect } from "@hookline/db";
import { openPostgres, pgSchema, type PgDatabase } from "@hookline/db/pg";
import { freshPostgresDatabase, stopPostgres } from "@hookline/db/testing/stores";
import { newWebhookSecret } from "../signing.js";
import { tables } from "../tables.js";

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
  db: Database | PgDatabase;
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
  return dialect === "sqlite" ? openSqlite() : openPg();
}

function callbackRow(o: CallbackFixture) {
  const now = Date.now();
  return {
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

function openSqlite(): DialectDb {
  const dir = mkdtempSync(join(tmpdir(), "hookline-cb-"));
  const file = join(dir, "hookline.db");
  const opened = openDatabase({ file });
  const db = opened.db;
  const { callbacks, deliveries } = tables(db);
  const others: Array<() => void> = [];
  return {
    dialect: "sqlite",
    db,
    url: null,
    seedAccount: (id = "acc_test") => {
      db.insert(sqliteAccounts).values({ id, name: id, createdAt: Date.now() }).onConflictDoNothing().run();
      return Promise.resolve(id);
    },
    seedCall: (accountId, id) => {
      db.insert(sqliteCalls).values(callRow(accountId, id)).run();
      return Promise.resolve();
    },
    addCallback: (o) => {
      const row = callbackRow(o);
      db.insert(callbacks).values(row).run();
      return Promise.resolve({ id: row.id, secret: row.secret });
    },
    delivery: (id) => Promise.resolve(db.select().from(deliveries).where(eq(deliveries.id, id)).get()),
    callbackEnabled: (id) =>
      Promise.resolve(db.select().from(callbacks).where(eq(callbacks.id, id)).get()?.enabled),
    reopen: () => {
      const other = openDatabase({ file });
      others.push(() => other.close());
      return Promise.resolve(other.db);
    },
    cleanup: () => {
      for (const close of others) close();
      opened.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function openPg(): Promise<DialectDb> {
  const url = await freshPostgresDatabase();
  const opened = await openPostgres({ url, max: 4 });
  const db = opened.db;
  const { accounts, calls, callbacks, deliveries } = pgSchema;
  const others: Array<() => Promise<void>> = [];
  return {
    dialect: "postgres",
    db,
    url,
    seedAccount: async (id = "acc_test") => {
      await db.insert(accounts).values({ id, name: id, createdAt: Date.now() }).onConflictDoNothing();
      return id;
    },
    seedCall: async (accountId, id) => {
      await db.insert(calls).values(callRow(accountId, id));
    },
    addCallback: async (o) => {
      const row = callbackRow(o);
      await db.insert(callbacks).values(row);
      return { id: row.id, secret: row.secret };
    },
    delivery: async (id) => (await db.select().from(deliveries).where(eq(deliveries.id, id)))[0],
    callbackEnabled: async (id) =>
      (await db.select().from(callbacks).where(eq(callbacks.id, id)))[0]?.enabled,
    reopen: async () => {
      const other = await openPostgres({ url, max: 4 });
      others.push(() => other.close());
      return other.db;
    },
    cleanup: async () => {
      for (const close of others) await close();
      await opened.close();
    },
  };
}
