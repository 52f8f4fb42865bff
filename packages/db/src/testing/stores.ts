/**
 * For tests: a Store (store.ts) on either dialect, each on a fresh database, so that the suites
 * written against a Store run on a real SQLite file and on a real PostgreSQL. The PostgreSQL
 * cluster (startPostgres: a throwaway one, or HOOKLINE_TEST_POSTGRES_URL) is one per test file;
 * the file's afterAll calls stopPostgres().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type OpenedDatabase } from "../open-database.js";
import { openPostgres, type OpenedPostgres } from "../pg.js";
import type { DirectoryMirror } from "../mirror.js";
import { pgStore, sqliteStore, type Dialect, type Store } from "../store.js";
import { startPostgres, type PostgresCluster } from "./postgres.js";

export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres"];

let cluster: Promise<PostgresCluster> | null = null;

/** The test file's PostgreSQL cluster, started on first use. */
function postgresCluster(): Promise<PostgresCluster> {
  cluster ??= startPostgres();
  return cluster;
}

/** Stops the file's cluster, if one was started (afterAll, with a 60 s timeout). */
export async function stopPostgres(): Promise<void> {
  const c = cluster;
  cluster = null;
  template = null;
  await (await c?.catch(() => null))?.stop();
}

let template: Promise<string> | null = null;

/**
 * The cluster's migrated template database, made once: a fresh database copies it
 * (`CREATE DATABASE ... TEMPLATE`), which is much quicker than migrating each one.
 */
function migratedTemplate(url: string): Promise<string> {
  template ??= (async () => {
    const name = `template_${process.pid}_${Date.now()}`;
    await createDatabase(url, name);
    const opened = await openPostgres({ url: withDatabase(url, name), max: 1 });
    await opened.close();
    return name;
  })();
  return template;
}

async function createDatabase(url: string, name: string, from?: string): Promise<void> {
  const admin = await openPostgres({ url, max: 1, migrate: false });
  try {
    await admin.pool.query(`CREATE DATABASE ${name}${from ? ` TEMPLATE ${from}` : ""}`);
  } finally {
    await admin.close();
  }
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A fresh database on the file's cluster, with the schema migrated; returns its URL. */
export async function freshPostgresDatabase(): Promise<string> {
  const { url } = await postgresCluster();
  const name = `t_${Date.now()}_${Math.floor(Math.random() * 1e9)}`;
  await createDatabase(url, name, await migratedTemplate(url));
  return withDatabase(url, name);
}

export interface TestStore {
  store: Store;
  /** SQLite: the open database and its file (in a temporary folder), for other connections. */
  sqlite?: OpenedDatabase & { file: string };
  /** PostgreSQL: the open pool and the database's URL, for other connections or processes. */
  pg?: OpenedPostgres & { url: string };
  cleanup: () => Promise<void>;
}

/** A migrated, empty database of `dialect` behind a Store. */
export async function openTestStore(dialect: Dialect): Promise<TestStore> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "hookline-store-"));
    const file = join(dir, "hookline.db");
    const sqlite = openDatabase({ file });
    return {
      store: sqliteStore(sqlite.db),
      sqlite: { ...sqlite, file },
      cleanup: () => {
        sqlite.close();
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  }
  const url = await freshPostgresDatabase();
  const opened = await openPostgres({ url, max: 4 });
  return { store: pgStore(opened.db), pg: { ...opened, url }, cleanup: () => opened.close() };
}

let marks = 0;

/**
 * Until `mirror` (when there is one: PostgreSQL) holds every write committed before the call: a
 * marker account's row written now must show in it (notifications arrive in commit order).
 */
export async function mirrorCaughtUp(store: Store, mirror: DirectoryMirror | undefined): Promise<void> {
  if (!mirror) return;
  const { db, t } = store;
  const name = `mark-${++marks}`;
  await db
    .insert(t.accounts)
    .values({ id: "acc_mirror_mark", name, createdAt: 0 })
    .onConflictDoUpdate({ target: t.accounts.id, set: { name } });
  const end = Date.now() + 15_000;
  while (mirror.row("accounts", "acc_mirror_mark")?.name !== name) {
    if (Date.now() > end) throw new Error(`the mirror did not show ${name} within 15 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
