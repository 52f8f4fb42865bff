import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newId } from "./ids.js";
import { openDatabase, type OpenedDatabase } from "./open-database.js";
import { accounts } from "./schema/index.js";
import { fillDatabase } from "./testing.js";
import { WriteHealth, writeFailureKind } from "./write-health.js";

/** Waits for what a worker thread or timer does next; a bound, not a timing assertion. */
const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 15_000 });

const full = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

describe("writeFailureKind", () => {
  it("tells a full disk and a failing one from any other error, through causes", () => {
    expect(writeFailureKind(full())).toBe("full");
    expect(writeFailureKind(new Error("wrapped", { cause: full() }))).toBe("full");
    expect(writeFailureKind(Object.assign(new Error("io"), { code: "SQLITE_IOERR_WRITE" }))).toBe("failing");
    expect(writeFailureKind(Object.assign(new Error("ro"), { code: "SQLITE_READONLY" }))).toBe("failing");
    expect(writeFailureKind(Object.assign(new Error("dup"), { code: "SQLITE_CONSTRAINT_UNIQUE" }))).toBe(
      undefined,
    );
    expect(writeFailureKind("nope")).toBe(undefined);
  });
});

describe("write health", () => {
  it("logs the outage when it starts, then at most once per interval, and its end", () => {
    let now = 0;
    const lines: string[] = [];
    const health = new WriteHealth(() => {}, { now: () => now, log: (l) => lines.push(l) });
    expect(health.noteFailure(new Error("not a storage error"))).toBe(false);
    expect(health.writable).toBe(true);
    for (let i = 0; i < 100; i++) expect(health.noteFailure(full())).toBe(true);
    expect(health.writable).toBe(false);
    expect(health.status).toMatchObject({ state: "full", since: 0, failures: 100 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot write \(database or disk is full\)/);
    now = 59_999;
    health.noteFailure(full());
    expect(lines).toHaveLength(1);
    now = 60_000;
    health.noteFailure(full());
    health.noteFailure(full());
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/still cannot write .*102 writes failed/);
    now = 90_000;
    health.noteWritten();
    expect(health.writable).toBe(true);
    expect(health.status).toEqual({ state: "ok", since: null, error: null, failures: 0 });
    expect(lines[2]).toMatch(/writes again after 90 s/);
    health.close();
  });

  it("a failure another thread tried before the database wrote again does not make it full again", () => {
    let now = 1000;
    const health = new WriteHealth(() => {}, { log: () => {}, now: () => now });
    health.noteFailure(full(), 1000);
    now = 2000;
    health.noteWritten();
    // The writer thread's report of a retry it made at 1500 arrives late: the database is still ok.
    expect(health.noteFailure(full(), 1500)).toBe(true);
    expect(health.writable).toBe(true);
    // A write tried after the recovery that fails is news.
    expect(health.noteFailure(full(), 2000)).toBe(true);
    expect(health.writable).toBe(false);
    health.close();
  });
});

describe("write health of a real database", () => {
  let dir: string;
  let database: OpenedDatabase;
  const lines: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hookline-health-"));
    database = openDatabase({
      file: join(dir, "hookline.db"),
      writeHealth: { probeIntervalMs: 20, log: (l) => lines.push(l) },
    });
  });
  afterEach(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("probes a full database until space returns, then writes work again", async () => {
    const { room } = fillDatabase(database);
    expect(database.health.probe()).toBe(false);
    expect(database.health.status.state).toBe("full");
    // Still full: the periodic probe keeps failing.
    await new Promise((r) => setTimeout(r, 60));
    expect(database.health.writable).toBe(false);
    room();
    await waitFor(() => expect(database.health.writable).toBe(true));
    database.db
      .insert(accounts)
      .values({ id: newId("acc"), name: "after", createdAt: 1 })
      .run();
    expect(lines.at(-1)).toMatch(/writes again/);
  });
});
