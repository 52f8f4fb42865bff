/**
 * The writes of the location service to the `registrations` table, with group commit: the changes
 * queued during one turn of the event loop are committed together in one transaction at the end
 * of that turn (one WAL append instead of one per REGISTER), through statements prepared once.
 * Each change's `done` is called after its commit, in queue order, so the registrar answers 200
 * only for a binding that is durable (RFC 3261 §10.3 step 8 reports what the registrar stored).
 * A transaction that fails is tried again one change at a time, so that one refused change does
 * not fail the others of its turn.
 */
import { and, eq, gt, inArray, isNull, lte, or, registrations, sql } from "@hookline/db";
import type { Column, Database, Registration, SQL } from "@hookline/db";
import { log } from "@hookline/log";
import type { toRow } from "./binding-rows.js";

const registrarLog = log.child({ component: "registrar" });

export type BindingRow = ReturnType<typeof toRow>;

/**
 * One write: save (insert or refresh) a binding's row, remove the row of an AOR's contact, or
 * delete every row expired at `at` (the sweep).
 */
export type BindingWrite =
  | { kind: "save"; row: BindingRow }
  | { kind: "remove"; aor: string; contact: string }
  | { kind: "expire"; at: number };

/**
 * The registrations table's writer: SQLite's (this file, synchronous commits) or PostgreSQL's
 * (pg-binding-store.ts, the same group commit, asynchronous). Writes apply in queue order.
 */
export interface BindingStore {
  /** Transactions committed so far (a turn's changes count once). */
  readonly commits: number;
  /** Changes queued and not yet committed. */
  readonly pending: number;
  /** Queues a change for this turn's commit; `done` is called once it is committed or failed. */
  write(writes: readonly BindingWrite[], done: (err: unknown) => void): void;
  /** Starts the commit of everything queued now (on SQLite it is done when this returns). */
  flush(): void;
  /** Resolves once everything queued before the call has been tried. */
  idle(): Promise<void>;
  /**
   * At start: of this node's rows (and those written before rows named their node), deletes the
   * ones a new process cannot reach (expired, or held by a connection that died with the previous
   * one: WebSocket and TLS) and returns the others. Other nodes' rows are theirs.
   */
  restore(now: number): Promise<Registration[]>;
}

/**
 * The rows a node restores: its own, and those that name no node (written before rows did); all
 * of them for a store that names no node (a single process).
 */
export function ownRows(nodeColumn: Column, nodeId: string | null): SQL | undefined {
  return nodeId === null ? undefined : or(eq(nodeColumn, nodeId), isNull(nodeColumn));
}

/** Transports whose bindings live and die with their connection (RFC 5626 flows). */
export const CONNECTION_BOUND = ["ws", "wss", "tls"] as const;

export interface Change {
  readonly writes: readonly BindingWrite[];
  /** Called once, after the commit (no error) or after it failed. Must not throw. */
  readonly done: (err: unknown) => void;
}

/** Columns a refresh overwrites: all but the id and the creation time (as `saveBinding` does). */
export const REFRESHED = [
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
  "nodeId",
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
      nodeId: p("nodeId"),
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

export class SqliteBindingStore implements BindingStore {
  readonly #db: Database;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #nodeId: string | null;
  #queue: Change[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #commits = 0;

  /** `nodeId`: the gateway node whose bindings these are (SPEC §2 HOOKLINE_NODE_ID). */
  constructor(db: Database, nodeId: string | null = null) {
    this.#db = db;
    this.#statements = prepare(db);
    this.#nodeId = nodeId;
  }

  get commits(): number {
    return this.#commits;
  }

  get pending(): number {
    return this.#queue.length;
  }

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
    callBack(batch, errors);
  }

  idle(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  restore(now: number): Promise<Registration[]> {
    this.flush();
    const own = ownRows(registrations.nodeId, this.#nodeId);
    this.#db
      .delete(registrations)
      .where(
        and(
          own,
          or(lte(registrations.expiresAt, now), inArray(registrations.transport, [...CONNECTION_BOUND])),
        ),
      )
      .run();
    return Promise.resolve(
      this.#db
        .select()
        .from(registrations)
        .where(and(own, gt(registrations.expiresAt, now)))
        .all(),
    );
  }

  #commit(changes: readonly Change[]): void {
    const { save, remove } = this.#statements;
    this.#db.transaction(() => {
      for (const change of changes) {
        for (const w of change.writes) {
          if (w.kind === "save") save.run({ ...w.row, nodeId: this.#nodeId });
          else if (w.kind === "remove") remove.run({ aor: w.aor, contact: w.contact });
          else this.#db.delete(registrations).where(lte(registrations.expiresAt, w.at)).run();
        }
      }
    });
    this.#commits++;
  }
}

/** Calls each change back in queue order, with its error if it failed. */
export function callBack(changes: readonly Change[], errors: ReadonlyMap<Change, unknown>): void {
  for (const change of changes) {
    try {
      change.done(errors.get(change));
    } catch (err) {
      registrarLog.error({ err }, "a binding write's completion failed");
    }
  }
}
