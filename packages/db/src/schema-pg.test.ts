/**
 * The PostgreSQL dialect against the SQLite one (the default): both sets of migrations applied
 * for real, then both catalogs read, so that a table, a column or an index added to one dialect
 * and not the other fails here instead of drifting silently. Plus round trips through drizzle on
 * PostgreSQL. A machine without PostgreSQL fails here with "run npm run setup" (setup installs it).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { newId } from "./ids.js";
import { openDatabase, type OpenedDatabase } from "./open-database.js";
import { pgMigrationsFolder, pgSchema } from "./pg.js";
import { NO_FRAUD_LIMITS } from "./schema/index.js";
import { postgresBinDir, startPostgres, type PostgresCluster } from "./testing/postgres.js";

const { accounts, callbacks, callbacksVersion, deliveries, outboxEvents } = pgSchema;

let cluster: PostgresCluster;
let client: pg.Client;
let db: NodePgDatabase<typeof pgSchema>;
let sqlite: OpenedDatabase;

// Started once; a failure to start (no PostgreSQL: "run npm run setup") fails every test that
// needs it, rather than leaving them reported as skipped.
let ready: Promise<void>;
beforeAll(() => {
  ready = (async () => {
    cluster = await startPostgres();
    client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    db = drizzle(client, { schema: pgSchema });
    await migrate(db, { migrationsFolder: pgMigrationsFolder });
    sqlite = openDatabase({ file: ":memory:" });
  })();
  ready.catch(() => {});
});
const needsPostgres = () => beforeEach(() => ready);

afterAll(async () => {
  sqlite?.close();
  await client?.end();
  await cluster?.stop();
});

/** `type`: SQLite's storage class; on PostgreSQL, the class the column's type stores as there. */
type Columns = Record<string, { name: string; notNull: boolean; type: string }[]>;
const PG_TYPE_CLASS: Record<string, string> = {
  bigint: "integer",
  integer: "integer",
  boolean: "integer",
  text: "text",
  jsonb: "text",
  bytea: "blob",
};
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

function sqliteColumns(): Columns {
  const tables = sqlite.sqlite
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'",
    )
    .pluck()
    .all() as string[];
  const out: Columns = {};
  for (const table of tables) {
    const info = sqlite.sqlite.pragma(`table_info(${table})`) as {
      name: string;
      notnull: number;
      type: string;
    }[];
    out[table] = info
      .map((c) => ({ name: c.name, notNull: c.notnull === 1, type: c.type.toLowerCase() }))
      .sort(byName);
  }
  return out;
}

async function pgColumns(): Promise<Columns> {
  const { rows } = await client.query<{
    table_name: string;
    column_name: string;
    is_nullable: string;
    data_type: string;
  }>(
    "SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns WHERE table_schema = 'public'",
  );
  const out: Columns = {};
  for (const r of rows) {
    const type = PG_TYPE_CLASS[r.data_type] ?? `unexpected ${r.data_type}`;
    (out[r.table_name] ??= []).push({ name: r.column_name, notNull: r.is_nullable === "NO", type });
  }
  for (const list of Object.values(out)) list.sort(byName);
  return out;
}

describe("the PostgreSQL schema mirrors the SQLite schema", () => {
  needsPostgres();
  it("has every SQLite table, each with the same column names, nullability and storage class, and no other", async () => {
    const expected = sqliteColumns();
    expect(Object.keys(expected)).toContain("outbox_events");
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(19);
    expect(await pgColumns()).toEqual(expected);
  });

  it("keeps every ms timestamp (`at`, `*_at`) in a bigint: Date.now() does not fit an integer", async () => {
    const { rows } = await client.query<{ column: string; data_type: string }>(
      `SELECT table_name || '.' || column_name AS column, data_type FROM information_schema.columns
        WHERE table_schema = 'public' AND (column_name = 'at' OR column_name LIKE '%\\_at')`,
    );
    expect(rows.length).toBeGreaterThan(30);
    expect(rows.filter((r) => r.data_type !== "bigint")).toEqual([]);
  });

  it("has every named index of SQLite, unique where SQLite's is", async () => {
    const expected = (
      sqlite.sqlite
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .all() as { name: string; sql: string }[]
    )
      .map((i) => ({ name: i.name, unique: /^CREATE UNIQUE/i.test(i.sql) }))
      .sort(byName);
    // Primary keys are left out: SQLite's are unnamed autoindexes, compared in the next test.
    const { rows } = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
          AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p')`,
    );
    const named = rows
      .map((r) => ({ name: r.indexname, unique: /^CREATE UNIQUE/i.test(r.indexdef) }))
      .sort(byName);
    expect(named).toEqual(expected);
    expect(expected).toContainEqual({ name: "domains_name_unique", unique: true });
    expect(expected.length).toBeGreaterThan(20);
  });

  it("has the same primary key, column for column, on every table", async () => {
    const expected: Record<string, string[]> = {};
    for (const table of Object.keys(sqliteColumns())) {
      const info = sqlite.sqlite.pragma(`table_info(${table})`) as { name: string; pk: number }[];
      expected[table] = info
        .filter((c) => c.pk > 0)
        .sort((x, y) => x.pk - y.pk)
        .map((c) => c.name);
    }
    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT k.table_name, k.column_name FROM information_schema.table_constraints c
         JOIN information_schema.key_column_usage k
           ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema
        WHERE c.table_schema = 'public' AND c.constraint_type = 'PRIMARY KEY'
        ORDER BY k.table_name, k.ordinal_position`,
    );
    const actual: Record<string, string[]> = {};
    for (const r of rows) (actual[r.table_name] ??= []).push(r.column_name);
    expect(actual).toEqual(expected);
    expect(expected.call_messages).toEqual(["call_id", "seq"]);
  });
});

describe("drizzle on PostgreSQL", () => {
  needsPostgres();
  it("round-trips an account: a ms timestamp past 32 bits and the fraud limits' jsonb default", async () => {
    const id = newId("acc");
    const createdAt = Date.UTC(2026, 11, 6, 3, 0, 0, 123);
    await db.insert(accounts).values({ id, name: "Acme", createdAt });
    const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
    expect(row).toEqual({ id, name: "Acme", createdAt, fraudLimits: NO_FRAUD_LIMITS });
  });

  it("round-trips an outbox event byte for byte and its delivery, and bumps callbacks_version as SQLite's triggers do", async () => {
    const accountId = newId("acc");
    await db.insert(accounts).values({ id: accountId, name: "A", createdAt: 1 });
    const callbackId = newId("cb");
    await db.insert(callbacks).values({
      id: callbackId,
      accountId,
      url: "http://127.0.0.1:9/hook",
      events: ["call.answered"],
      secret: "whsec_x",
      createdAt: 1,
      updatedAt: 1,
    });
    const version = async () =>
      (await db.select().from(callbacksVersion).where(eq(callbacksVersion.accountId, accountId)))[0]?.n;
    expect(await version()).toBe(1);

    // Signed bytes: spacing and key order must survive (text, not jsonb).
    const body = '{"type":"call.answered",  "data":{"z":1,"a":2}}';
    const eventId = newId("evt");
    await db
      .insert(outboxEvents)
      .values({ id: eventId, accountId, callId: null, seq: 7, type: "call.answered", body, createdAt: 2 });
    const deliveryId = newId("dlv");
    await db.insert(deliveries).values({
      id: deliveryId,
      eventId,
      callbackId,
      accountId,
      seq: 7,
      eventType: "call.answered",
      status: "pending",
      nextAttemptAt: 2,
      createdAt: 2,
    });
    const [joined] = await db
      .select({ body: outboxEvents.body, status: deliveries.status, attempts: deliveries.attemptCount })
      .from(deliveries)
      .innerJoin(outboxEvents, eq(outboxEvents.id, deliveries.eventId))
      .where(eq(deliveries.id, deliveryId));
    expect(joined).toEqual({ body, status: "pending", attempts: 0 });

    const [cb] = await db.select().from(callbacks).where(eq(callbacks.id, callbackId));
    expect(cb).toMatchObject({ enabled: true, events: ["call.answered"], source: "api" });
    await db.update(callbacks).set({ enabled: false }).where(eq(callbacks.id, callbackId));
    expect(await version()).toBe(2);
    await db.delete(callbacks).where(eq(callbacks.id, callbackId));
    expect(await version()).toBe(3);
    // ON DELETE CASCADE, as in SQLite.
    expect(await db.select().from(deliveries).where(eq(deliveries.id, deliveryId))).toEqual([]);
  });

  it("applies the migrations once: running the migrator again changes nothing", async () => {
    const count = async () =>
      Number(
        (await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`))
          .rows[0]!.n,
      );
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(2);
    await migrate(db, { migrationsFolder: pgMigrationsFolder });
    expect(await count()).toBe(before);
  });
});

describe("startPostgres", () => {
  it("names npm run setup when PostgreSQL's binaries are missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "hookline-nopg-"));
    writeFileSync(join(empty, "README"), "no initdb here");
    vi.stubEnv("HOOKLINE_POSTGRES_BIN", empty);
    try {
      expect(() => postgresBinDir()).toThrow(/run npm run setup/);
    } finally {
      vi.unstubAllEnvs();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it.skipIf(Boolean(process.env.HOOKLINE_TEST_POSTGRES_URL))(
    "stop() ends the server and removes its folder",
    async () => {
      const other = await startPostgres();
      const probe = new pg.Client({ connectionString: other.url, connectionTimeoutMillis: 10_000 });
      await probe.connect();
      expect((await probe.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      await probe.end();
      await other.stop();
      expect(existsSync(other.dir!)).toBe(false);
      const after = new pg.Client({ connectionString: other.url, connectionTimeoutMillis: 10_000 });
      await expect(after.connect()).rejects.toThrow();
    },
  );
});
