import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "./ids.js";
import { openDatabase } from "./open-database.js";
import { accounts, callMessages, calls, credentials, domains } from "./schema/index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-db-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("openDatabase", () => {
  it("sets WAL, synchronous=NORMAL, foreign keys and a busy timeout", () => {
    const { sqlite, close } = openDatabase({ file: join(dir, "nested", "hookline.db") });
    try {
      expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(sqlite.pragma("synchronous", { simple: true })).toBe(1); // 1 = NORMAL
      expect(sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(sqlite.pragma("busy_timeout", { simple: true })).toBe(5000);
      // It holds HA1s and webhook secrets.
      expect(statSync(join(dir, "nested", "hookline.db")).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, "nested", "hookline.db-wal")).mode & 0o777).toBe(0o600);
    } finally {
      close();
    }
  });

  it("applies migrations once and keeps data across reopen", () => {
    const file = join(dir, "hookline.db");
    const first = openDatabase({ file });
    const id = newId("acc");
    first.db.insert(accounts).values({ id, name: "Acme", createdAt: Date.now() }).run();
    first.close();

    const second = openDatabase({ file });
    try {
      const rows = second.db.select().from(accounts).where(eq(accounts.id, id)).all();
      expect(rows.map((r) => r.name)).toEqual(["Acme"]);
    } finally {
      second.close();
    }
  });

  it("lets two handles open one file (as gateway and console processes do) and see each other's commits", () => {
    const file = join(dir, "hookline.db");
    const a = openDatabase({ file });
    const b = openDatabase({ file });
    try {
      const id = newId("acc");
      a.db.insert(accounts).values({ id, name: "shared", createdAt: 1 }).run();
      expect(b.db.select().from(accounts).where(eq(accounts.id, id)).get()?.name).toBe("shared");
    } finally {
      a.close();
      b.close();
    }
  });

  it("cascades deletes through foreign keys and enforces unique domain names", () => {
    const { db, close } = openDatabase({ file: join(dir, "hookline.db") });
    try {
      const now = Date.now();
      const acc = newId("acc");
      const dom = newId("dom");
      db.insert(accounts).values({ id: acc, name: "A", createdAt: now }).run();
      db.insert(domains)
        .values({ id: dom, accountId: acc, name: "a.sip.test", createdAt: now, updatedAt: now })
        .run();
      db.insert(credentials)
        .values({
          id: newId("cred"),
          accountId: acc,
          domainId: dom,
          username: "alice",
          realm: "a.sip.test",
          ha1Md5: "x",
          ha1Sha256: "y",
          createdAt: now,
        })
        .run();
      expect(() =>
        db
          .insert(domains)
          .values({ id: newId("dom"), accountId: acc, name: "a.sip.test", createdAt: now, updatedAt: now })
          .run(),
      ).toThrow(/UNIQUE/);

      db.delete(accounts).where(eq(accounts.id, acc)).run();
      expect(db.select().from(credentials).all()).toEqual([]);
    } finally {
      close();
    }
  });

  it("stores a call's SIP trace with JSON headers in seq order", () => {
    const { db, close } = openDatabase({ file: join(dir, "hookline.db") });
    try {
      const now = Date.now();
      const acc = newId("acc");
      const call = newId("call");
      db.insert(accounts).values({ id: acc, name: "A", createdAt: now }).run();
      db.insert(calls)
        .values({
          id: call,
          accountId: acc,
          sipCallId: "abc@host",
          from: "sip:a@x",
          to: "sip:b@x",
          state: "initiated",
          startedAt: now,
        })
        .run();
      for (const [seq, method] of [
        [2, "BYE"],
        [1, "INVITE"],
      ] as const) {
        db.insert(callMessages)
          .values({
            callId: call,
            seq,
            direction: "received",
            method,
            at: now,
            headers: { "x-reason": "done" },
            bodySize: 0,
          })
          .run();
      }
      const trace = db.query.callMessages
        .findMany({ where: eq(callMessages.callId, call), orderBy: callMessages.seq })
        .sync();
      expect(trace.map((m) => [m.seq, m.method, m.headers["x-reason"]])).toEqual([
        [1, "INVITE", "done"],
        [2, "BYE", "done"],
      ]);
    } finally {
      close();
    }
  });
});
