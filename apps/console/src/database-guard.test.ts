import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fillDatabase } from "@hookline/db";
import { databaseGuard } from "./database-guard.js";
import { sqliteHarness, OPERATOR, type SqliteHarness } from "./test-helpers.js";

let h: SqliteHarness;
let root: Hono;
beforeEach(async () => {
  h = await sqliteHarness();
  // As the gateway composes it (server.ts): the guard in front of the console's routes.
  root = new Hono();
  root.use("/v1/*", databaseGuard(h.database.health));
  root.route("/", h.app);
});
afterEach(() => h.close());

const post = (name: string) =>
  root.request("/v1/accounts", {
    method: "POST",
    headers: { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });

describe("API writes while the database cannot write (a full disk)", () => {
  it("answers 503 database_full (not 500, not 201), refuses later writes up front, serves reads, and recovers", async () => {
    const { room } = fillDatabase(h.database);
    expect(h.database.health.writable).toBe(true);
    const first = await post("acme");
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("60");
    expect(await first.json()).toEqual({
      error: {
        code: "database_full",
        message: "the database is full (no space left on its disk): nothing was changed",
      },
    });
    // The failure reached the write health: the next write is refused without trying.
    expect(h.database.health.status).toMatchObject({ state: "full", failures: 1 });
    expect((await post("acme")).status).toBe(503);
    expect(h.database.health.status.failures).toBe(1);
    const list = await root.request("/v1/accounts", { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(list.status).toBe(200);

    room();
    expect(h.database.health.probe()).toBe(true);
    expect((await post("acme")).status).toBe(201);
  });
});
