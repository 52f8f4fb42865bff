/** Per-connection settings of every connection that writes (openDatabase's, the call store's writer thread's). */
import type BetterSqlite3 from "better-sqlite3";

export function configureConnection(sqlite: BetterSqlite3.Database, busyTimeoutMs: number): void {
  // WAL: readers never block the writer and vice versa, so the console can read while the
  // gateway and the delivery worker write, even from separate processes.
  sqlite.pragma("journal_mode = WAL");
  // NORMAL (set explicitly, not left to the build's default): in WAL mode a commit is durable
  // against a crash of the process (kill -9) because the WAL is written before commit returns;
  // only an OS crash or power loss can lose the last few commits, as the WAL is fsynced at
  // checkpoints rather than on every commit. FULL would fsync per commit for no gain against
  // the failure we promise to survive (SPEC §4: "survives kill -9").
  sqlite.pragma("synchronous = NORMAL");
  // SQLite ships with foreign keys off, per connection; our ON DELETE CASCADEs depend on them.
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
}
