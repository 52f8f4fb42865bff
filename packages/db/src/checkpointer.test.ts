import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCheckpointer } from "./checkpointer.js";
import { openDatabase } from "./open-database.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-ckpt-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("background WAL checkpoints", () => {
  it("takes checkpoints off the main connection and copies the whole WAL back", async () => {
    const opened = openDatabase({ file: join(dir, "hookline.db"), backgroundCheckpoints: true });
    try {
      const { sqlite, checkpointer } = opened;
      expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      sqlite.exec("create table t (a integer primary key, b text)");
      const insert = sqlite.prepare("insert into t (b) values (?)");
      // ~2,000 pages: past the 1,000 at which the main connection would have checkpointed itself
      // inside this commit, copying them into the main file.
      const size = () => statSync(join(dir, "hookline.db")).size;
      sqlite.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run("x".repeat(3000));
      })();
      expect(size()).toBeLessThan(1024 * 1024);
      // The worker copies them.
      await until(() => size() > 6 * 1024 * 1024);
      expect(checkpointer!.stats.failed).toBe(false);
      expect(sqlite.prepare("select count(*) from t").pluck().get()).toBe(2000);
    } finally {
      opened.close();
    }
  });

  it("keeps the WAL bounded under writes that never pause", async () => {
    const file = join(dir, "busy.db");
    const opened = openDatabase({ file });
    const { sqlite } = opened;
    const c = startCheckpointer(sqlite, file, { intervalMs: 50, restartBytes: 1024 * 1024 });
    try {
      sqlite.exec("create table t (a integer primary key, b text)");
      const insert = sqlite.prepare("insert into t (b) values (?)");
      const write = sqlite.transaction(() => {
        for (let i = 0; i < 20; i++) insert.run("x".repeat(1000));
      });
      // 30 MB through the WAL in small commits, one every 2 ms or so (a loaded machine only
      // slows it down): without the catch-up checkpoints the WAL grew to about that size.
      let largest = 0;
      for (let written = 0; written < 30 * 1024 * 1024; written += 20 * 1000) {
        write();
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(c.stats.mainCheckpoints).toBeGreaterThan(0);
      expect(largest).toBeLessThan(10 * 1024 * 1024);
    } finally {
      await c.stop();
      opened.close();
    }
  });

  it("gives checkpoints back to the main connection when the worker fails", async () => {
    const sqlite = new BetterSqlite3(join(dir, "own.db"));
    sqlite.pragma("journal_mode = WAL");
    const errors: unknown[] = [];
    const c = startCheckpointer(sqlite, join(dir, "no-such-folder", "x.db"), {
      onError: (e) => errors.push(e),
    });
    try {
      await until(() => c.stats.failed);
      expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      expect(String(errors[0])).toMatch(/directory does not exist|unable to open/);
    } finally {
      sqlite.close();
    }
  });
});
