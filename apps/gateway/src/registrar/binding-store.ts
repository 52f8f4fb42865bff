/**
 * The writes of the location service to the `registrations` table, with group commit: the changes
 * queued during one turn of the event loop are committed together in one transaction at the end
 * of that turn (one WAL append instead of one per REGISTER), through statements prepared once.
 * Each change's `done` is called after its commit, in queue order, so the registrar answers 200
 * only for a binding that is durable (RFC 3261 §10.3 step 8 reports what the registrar stored).
 * A transaction that fails is tried again one change at a time, so that one refused change does
 * not fail the others of its turn.
 */
import { and, eq, registrations, sql } from "@hookline/db";
import type { Database } from "@hookline/db";
import { log } from "@hookline/log";
import type { toRow } from "./binding-rows.js";

const registrarLog = log.child({ component: "registrar" });

export type BindingRow = ReturnType<typeof toRow>;

/** One write: save (insert or refresh) a binding's row, or remove the row of an AOR's contact. */
export type BindingWrite =
  { kind: "save"; row: BindingRow } | { kind: "remove"; aor: string; contact: string };

interface Change {
  readonly writes: readonly BindingWrite[];
  /** Called once, after the commit (no error) or after it failed. Must not throw. */
  readonly done: (err: unknown) => void;
}

/** Columns a refresh overwrites: all but the id and the creation time (as `saveBinding` does). */
const REFRESHED = [
  "accountId",
  "domainId",
  "transport",
  "source",
  "expiresAt",
  "instanceId",
  "connectionId",
  "sipCallId",
  "cseq",
  "userAgent",
  "updatedAt",
] as const;

function prepare(db: Database) {
  const p = sql.placeholder;
  const save = db
    .insert(registrations)
    .values({
      id: p("id"),
      accountId: p("accountId"),
      domainId: p("domainId"),
      aor: p("aor"),
      contact: p("contact"),
      transport: p("transport"),
      source: p("source"),
      expiresAt: p("expiresAt"),
      instanceId: p("instanceId"),
      connectionId: p("connectionId"),
      sipCallId: p("sipCallId"),
      cseq: p("cseq"),
      userAgent: p("userAgent"),
      createdAt: p("now"),
      updatedAt: p("now"),
    })
    .onConflictDoUpdate({
      target: [registrations.aor, registrations.contact],
      // SQLite's `excluded.` row: the values the insert would have written (sqlite.org/lang_upsert).
      set: Object.fromEntries(
        REFRESHED.map((key) => [key, sql.raw(`excluded."${registrations[key].name}"`)]),
      ),
    })
    .prepare();
  const remove = db
    .delete(registrations)
    .where(and(eq(registrations.aor, p("aor")), eq(registrations.contact, p("contact"))))
    .prepare();
  return { save, remove };
}

export class BindingStore {
  readonly #db: Database;
  readonly #statements: ReturnType<typeof prepare>;
  #queue: Change[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #commits = 0;

  constructor(db: Database) {
    this.#db = db;
    this.#statements = prepare(db);
  }

  /** Transactions committed so far (a turn's changes count once). */
  get commits(): number {
    return this.#commits;
  }

  /** Changes queued and not yet committed. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues a change for this turn's commit; `done` is called once it is committed or failed. */
  write(writes: readonly BindingWrite[], done: (err: unknown) => void): void {
    this.#queue.push({ writes, done });
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /**
   * Commits every queued change now rather than at the end of the turn: before anything that
   * reads or deletes rows behind the queue's back, and before the database closes.
   */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const errors = new Map<Change, unknown>();
    try {
      this.#commit(batch);
    } catch (err) {
      registrarLog.warn({ err, changes: batch.length }, "binding writes failed together; trying each alone");
      for (const change of batch) {
        try {
          this.#commit([change]);
        } catch (e) {
          errors.set(change, e);
        }
      }
    }
    for (const change of batch) {
      try {
        change.done(errors.get(change));
      } catch (err) {
        registrarLog.error({ err }, "a binding write's completion failed");
      }
    }
  }

  #commit(changes: readonly Change[]): void {
    const { save, remove } = this.#statements;
    this.#db.transaction(() => {
      for (const change of changes) {
        for (const w of change.writes) {
          if (w.kind === "save") save.run(w.row);
          else remove.run({ aor: w.aor, contact: w.contact });
        }
      }
    });
    this.#commits++;
  }
}
