import { eq, openDatabase } from "@hookline/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "./logger.js";
import { Matcher } from "./matcher.js";
import { createSqliteStore } from "./store/sqlite-store.js";
import { tables } from "./tables.js";
import type { TestDb } from "./test-support.js";
import { addCallback, seedAccount, seedCall, sipEvent, tempDb } from "./test-support.js";

let t: TestDb;
let acc: string;
beforeEach(() => {
  t = tempDb();
  acc = seedAccount(t.db);
});
afterEach(() => t.cleanup());

const url = "http://127.0.0.1:9/hook";
const ids = (m: Matcher, callId = "call_a") => m.match(sipEvent(acc, callId, 1)).map((c) => c.id);

describe("matcher cache", () => {
  it("sees callbacks added, edited, disabled and deleted after it cached the account, on the same connection", () => {
    const m = new Matcher(createSqliteStore(t.db, silentLogger).reader, silentLogger);
    expect(ids(m)).toEqual([]);
    const a = addCallback(t.db, { accountId: acc, url, events: ["sip.INVITE"] });
    expect(ids(m)).toEqual([a.id]);
    const loads = m.stats.cacheLoads;
    expect(ids(m)).toEqual([a.id]);
    expect(m.stats.cacheLoads).toBe(loads); // unchanged → served from the cache
    const { callbacks } = tables(t.db);
    let at = Date.now();
    const edit = (set: Partial<typeof callbacks.$inferInsert>) =>
      t.db
        .update(callbacks)
        .set({ ...set, updatedAt: ++at })
        .where(eq(callbacks.id, a.id))
        .run();
    edit({ events: ["sip.BYE"] });
    expect(ids(m)).toEqual([]);
    edit({ events: ["sip.*"], filter: 'message.headers["x-priority"] == "low"' });
    expect(ids(m)).toEqual([]);
    edit({ filter: null, enabled: false });
    expect(ids(m)).toEqual([]);
    edit({ enabled: true });
    expect(ids(m)).toEqual([a.id]);
    t.db.delete(callbacks).where(eq(callbacks.id, a.id)).run();
    expect(ids(m)).toEqual([]);
  });

  it("keeps a call's own callbacks to that call", () => {
    seedCall(t.db, acc, "call_a");
    const m = new Matcher(createSqliteStore(t.db, silentLogger).reader, silentLogger);
    expect(ids(m)).toEqual([]);
    const own = addCallback(t.db, { accountId: acc, url, events: ["sip.*"], callId: "call_a" });
    expect(ids(m, "call_a")).toEqual([own.id]);
    expect(ids(m, "call_b")).toEqual([]);
  });

  it("sees a change written by another connection to the same file (another process)", () => {
    const m = new Matcher(createSqliteStore(t.db, silentLogger).reader, silentLogger);
    expect(ids(m)).toEqual([]);
    const other = openDatabase({ file: t.file });
    try {
      const a = addCallback(other.db, { accountId: acc, url, events: ["sip.INVITE"] });
      expect(ids(m)).toEqual([a.id]);
      other.db
        .delete(tables(other.db).callbacks)
        .where(eq(tables(other.db).callbacks.id, a.id))
        .run();
      expect(ids(m)).toEqual([]);
    } finally {
      other.close();
    }
  });

  it("sees a call's callback registered after the call's first event, and only for that call", () => {
    seedCall(t.db, acc, "call_a");
    const m = new Matcher(createSqliteStore(t.db, silentLogger).reader, silentLogger);
    expect(ids(m, "call_a")).toEqual([]); // call_a's (empty) list is now cached
    const own = addCallback(t.db, { accountId: acc, url, events: ["sip.*"], callId: "call_a" });
    expect(ids(m, "call_a")).toEqual([own.id]);
    expect(ids(m, "call_b")).toEqual([]);
  });

  it("does not reload an account when another account's callbacks change", () => {
    const other = seedAccount(t.db, "acc_other");
    const m = new Matcher(createSqliteStore(t.db, silentLogger).reader, silentLogger);
    const a = addCallback(t.db, { accountId: acc, url, events: ["sip.INVITE"] });
    expect(ids(m)).toEqual([a.id]);
    const loads = m.stats.cacheLoads;
    addCallback(t.db, { accountId: other, url, events: ["sip.INVITE"] });
    expect(ids(m)).toEqual([a.id]);
    expect(m.stats.cacheLoads).toBe(loads);
  });

  it("reads an account's counter once per batch: a batch's events all see the callbacks of its start", () => {
    const m = new Matcher(createSqliteStore(t.db, silentLogger).reader, silentLogger);
    let a = "";
    m.batch(() => {
      expect(ids(m)).toEqual([]);
      a = addCallback(t.db, { accountId: acc, url, events: ["sip.INVITE"] }).id;
      expect(ids(m)).toEqual([]);
    });
    expect(ids(m)).toEqual([a]);
  });
});
