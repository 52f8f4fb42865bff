/** `openPostgres()` on a real PostgreSQL (startPostgres: a throwaway cluster or HOOKLINE_TEST_POSTGRES_URL). */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isPgDatabase, openPostgres, pgSchema } from "./pg.js";
import { startPostgres, type PostgresCluster } from "./testing/postgres.js";

let cluster: PostgresCluster;
let url: string;

beforeAll(async () => {
  cluster = await startPostgres();
  // A database of its own, so the concurrent migrations below start from nothing.
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  const name = `open_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  url = cluster.url.replace(/\/[^/]*$/, `/${name}`);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

it("migrates once when several nodes open the same empty database at the same moment", async () => {
  const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgres({ url, max: 2 })));
  try {
    const { rows } = await opened[0]!.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations",
    );
    const { rows: columns } = await opened[0]!.pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'deliveries' AND column_name LIKE 'lease_%'",
    );
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(columns.map((c) => c.column_name).sort()).toEqual(["lease_owner", "lease_until"]);
    const { rows: again } = await opened[1]!.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations",
    );
    expect(again[0]!.n).toBe(rows[0]!.n);
  } finally {
    await Promise.all(opened.map((o) => o.close()));
  }
});

it("reads ms timestamps past 32 bits as numbers, through drizzle and raw queries", async () => {
  const opened = await openPostgres({ url });
  const { db, pool } = opened;
  try {
    expect(isPgDatabase(db)).toBe(true);
    const at = 4_102_444_800_123; // 2100-01-01, beyond 2^32 and 2^31
    await db.insert(pgSchema.accounts).values({ id: `acc_${at}`, name: "a", createdAt: at });
    const raw = await pool.query<{ created_at: number }>("SELECT created_at FROM accounts WHERE id = $1", [
      `acc_${at}`,
    ]);
    expect(raw.rows[0]!.created_at).toBe(at);
    const [row] = await db.select().from(pgSchema.accounts);
    expect(row!.createdAt).toBe(at);
  } finally {
    await opened.close();
  }
});
