/** For tests across the workspace: a database that refuses writes as a full disk does. */
import { newId } from "./ids.js";
import type { OpenedDatabase } from "./open-database.js";
import { accounts } from "./schema/index.js";
import { writeFailureKind } from "./write-health.js";

/**
 * Caps the database at its current size (SQLite's `max_page_count`) and fills the free space left
 * in its pages with padded accounts, so that any write needing more than a few bytes fails with
 * SQLITE_FULL. `room()` lifts the cap: space has returned.
 */
export function fillDatabase(database: OpenedDatabase): { room: () => void } {
  const pages = database.sqlite.pragma("page_count", { simple: true }) as number;
  database.setMaxPageCount(pages);
  const pad = "x".repeat(1000);
  for (let size = 1000; size >= 1; size = Math.floor(size / 4)) {
    for (;;) {
      try {
        database.db
          .insert(accounts)
          .values({ id: newId("acc"), name: pad.slice(0, size), createdAt: 0 })
          .run();
      } catch (err) {
        if (writeFailureKind(err) !== "full") throw err;
        break;
      }
    }
  }
  return { room: () => database.setMaxPageCount(1_000_000_000) };
}
