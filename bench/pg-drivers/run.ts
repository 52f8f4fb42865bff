/**
 * PostgreSQL driver benchmark: which Node driver packages/db should use for PostgreSQL, measured
 * on the writes that matter most, outbox rows and SIP trace rows (rows.ts), in batches of 1, 50
 * and 500 rows per INSERT, each statement its own transaction (as the group commits are):
 *
 *   pg           node-postgres, a named (prepared) query per statement text
 *   postgres     postgres.js, `sql.unsafe(text, values, { prepare: true })`
 *   sqlite       the peer: better-sqlite3 through openDatabase() (WAL, synchronous=NORMAL), a
 *                prepared statement per statement text
 *
 * against one throwaway cluster (startPostgres: fsync off, 127.0.0.1) and a SQLite file in a temp
 * folder, in the same run. Each cell writes for CELL_MS (or MAX_ROWS rows) after a short warm-up;
 * the cells run in two rounds with the PostgreSQL drivers in opposite orders and the better round
 * counts, since the machine is shared. The table is emptied between cells. Bounded: < 60 s.
 * Not a test: `npm run bench:pg -w @hookline/bench`.
 *
 * Options (environment): BENCH_PG_CELL_MS (700), BENCH_PG_MAX_ROWS (100000 per cell).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Statement } from "better-sqlite3";
import { openDatabase } from "@hookline/db";
import { pgMigrationsFolder } from "@hookline/db/pg";
import { startPostgres } from "@hookline/db/testing/postgres";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import postgres from "postgres";
import { batchValues, insertSql, outbox, parents, trace, type Shape } from "./rows.js";

const CELL_MS = Number(process.env.BENCH_PG_CELL_MS ?? 700);
const MAX_ROWS = Number(process.env.BENCH_PG_MAX_ROWS ?? 100_000);
const BATCHES = [1, 50, 500];
const SHAPES = [outbox, trace];
/** The cells' time budget, from the moment the cluster is up (initdb is not the drivers' time). */
let deadline = Number.POSITIVE_INFINITY;

type TargetName = "pg" | "postgres" | "sqlite";
interface Target {
  name: TargetName;
  insert(shape: Shape, batch: number, first: number): Promise<void>;
  empty(shape: Shape): Promise<void>;
}

async function main(): Promise<void> {
  const started = Date.now();
  const cluster = await startPostgres();
  deadline = Date.now() + 55_000;
  const dir = mkdtempSync(join(tmpdir(), "hookline-bench-pg-"));
  const sqliteDb = openDatabase({ file: join(dir, "bench.db") });
  const pgClient = new pg.Client({ connectionString: cluster.url });
  const pgjs = postgres(cluster.url, { max: 1, onnotice: () => {} });
  try {
    await pgClient.connect();
    await migrate(drizzle(pgClient), { migrationsFolder: pgMigrationsFolder });
    for (const p of [parents.account, parents.call]) {
      await pgClient.query(p.sql);
      sqliteDb.sqlite.exec(p.sql);
    }
    const targets = { pg: pgTarget(pgClient), postgres: pgjsTarget(pgjs), sqlite: sqliteTarget(sqliteDb) };

    const best = new Map<string, number>();
    const orders: TargetName[][] = [
      ["sqlite", "pg", "postgres"],
      ["postgres", "pg", "sqlite"],
    ];
    for (const order of orders) {
      for (const shape of SHAPES) {
        for (const batch of BATCHES) {
          for (const name of order) {
            if (Date.now() > deadline) throw new Error("time is up before every cell ran (BENCH_PG_CELL_MS)");
            const rate = await cell(targets[name], shape, batch);
            const key = `${shape.table}/${batch}/${name}`;
            best.set(key, Math.max(best.get(key) ?? 0, rate));
          }
        }
      }
    }
    report(best, (Date.now() - started) / 1000);
  } finally {
    await pgClient.end().catch(() => {});
    await pgjs.end({ timeout: 5 }).catch(() => {});
    sqliteDb.close();
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  }
}

/** Rows per second of one target writing one shape in one batch size. */
async function cell(target: Target, shape: Shape, batch: number): Promise<number> {
  await target.empty(shape);
  let next = 0;
  // Warm-up: statements prepared, caches and the table's first pages in place.
  for (let i = 0; i < 3; i++, next += batch) await target.insert(shape, batch, next);
  const t0 = performance.now();
  let rows = 0;
  while (performance.now() - t0 < CELL_MS && rows < MAX_ROWS) {
    await target.insert(shape, batch, next);
    next += batch;
    rows += batch;
  }
  const seconds = (performance.now() - t0) / 1000;
  return rows / seconds;
}

function pgTarget(client: pg.Client): Target {
  return {
    name: "pg",
    insert: async (shape, batch, first) => {
      await client.query({
        name: `${shape.table}_${batch}`,
        text: insertSql(shape, batch, "pg"),
        values: batchValues(shape, first, batch),
      });
    },
    empty: async (shape) => void (await client.query(`TRUNCATE ${shape.table} CASCADE`)),
  };
}

function pgjsTarget(sql: postgres.Sql): Target {
  return {
    name: "postgres",
    insert: async (shape, batch, first) => {
      const values = batchValues(shape, first, batch) as postgres.ParameterOrJSON<never>[];
      await sql.unsafe(insertSql(shape, batch, "pg"), values, { prepare: true });
    },
    empty: async (shape) => void (await sql.unsafe(`TRUNCATE ${shape.table} CASCADE`)),
  };
}

function sqliteTarget(database: ReturnType<typeof openDatabase>): Target {
  const statements = new Map<string, Statement<unknown[]>>();
  return {
    name: "sqlite",
    insert: (shape, batch, first) => {
      const key = `${shape.table}_${batch}`;
      let statement = statements.get(key);
      if (!statement)
        statements.set(key, (statement = database.sqlite.prepare(insertSql(shape, batch, "sqlite"))));
      const values = batchValues(shape, first, batch).map((v) =>
        v !== null && typeof v === "object" ? JSON.stringify(v) : v,
      );
      statement.run(...values);
      return Promise.resolve();
    },
    empty: (shape) => {
      database.sqlite.exec(`DELETE FROM ${shape.table}`);
      return Promise.resolve();
    },
  };
}

function report(best: Map<string, number>, seconds: number): void {
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  const lines = [
    "| rows | batch | pg (rows/s) | postgres (rows/s) | postgres / pg | sqlite (rows/s) | sqlite / best pg |",
    "| ---- | ----: | ----------: | ----------------: | ------------: | --------------: | ---------------: |",
  ];
  for (const shape of SHAPES) {
    for (const batch of BATCHES) {
      const get = (name: TargetName) => best.get(`${shape.table}/${batch}/${name}`) ?? 0;
      const [a, b, s] = [get("pg"), get("postgres"), get("sqlite")];
      lines.push(
        `| ${shape.table} | ${batch} | ${f(a)} | ${f(b)} | ${(b / a).toFixed(2)} | ${f(s)} | ${(s / Math.max(a, b)).toFixed(2)} |`,
      );
    }
  }
  console.log(lines.join("\n"));
  console.log(
    `\n${seconds.toFixed(1)} s; ${CELL_MS} ms per cell, best of 2 rounds; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (the machine is shared); PostgreSQL with fsync off, SQLite WAL synchronous=NORMAL`,
  );
}

await main();
