/**
 * The call store (call-store.ts) on PostgreSQL, for a gateway on `HOOKLINE_DATABASE_URL` (SPEC §2):
 * the same rows, queued synchronously and handed over as a batch `maxDelayMs` after the first or at
 * `maxBatch` rows, each batch written in ONE transaction, batches strictly one after another in
 * queue order (an update never overtakes its insert), on one pooled connection at a time.
 *
 * A batch costs a few statements, not one per row: its rows are grouped by statement into
 * multi-row statements over `unnest`ed arrays, run in a fixed order (calls, legs, the updates, then
 * messages and hooks), and a patch's updates of one row are merged first (`coalesce(later,
 * earlier)`, which is what applying them in turn does). A row is never moved ahead of a row it must
 * follow: the batch is cut into segments where that would happen (an insert after a row that
 * refers to it), each segment grouped on its own, so the result is the rows' in turn.
 *
 * A batch the server refuses whole (unreachable, shutting down, out of space: anything but a bad
 * row) is kept, with what comes after it, and tried again `retryMs` later, up to MAX_QUEUED rows,
 * as call-rows.ts's queue does on SQLite. A bad row (SQLSTATE class 22 or 23: a constraint or a
 * value refuses it) rolls its batch back; the batch is then written row by row, the bad rows
 * reported and skipped.
 *
 * `flush()` and `close()` cannot block the event loop for a server: they return a Promise,
 * resolved once everything queued before the call has been tried (written, or kept for a retry).
 * It never rejects; failures go to `onError`.
 */
import { log } from "@hookline/log";
import type pg from "pg";
import { batchedCallStore, type CallStore } from "./call-store.js";
import { notWritten, type CallRow } from "./call-rows.js";
import type { PgDatabase } from "./pg.js";

export interface PgCallStoreOptions {
  /** Longest a row waits for its batch, ms. Default 20. */
  maxDelayMs?: number;
  /** A batch this long is written at once. Default 1000. */
  maxBatch?: number;
  /** How soon a refused batch is tried again, ms. Default 1000. */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

/** The PostgreSQL call store: `flush()` and `close()` return Promises. */
export interface PgCallStore extends CallStore {
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Rows kept while the server refuses batches (as on SQLite, call-rows.ts). */
const MAX_QUEUED = 100_000;

export function createPgCallStore(db: PgDatabase, options: PgCallStoreOptions = {}): PgCallStore {
  const { maxDelayMs = 20, maxBatch = 1000, retryMs = 1000 } = options;
  const onError =
    options.onError ??
    ((err: unknown) => log.child({ component: "db" }).error({ err }, "call records not written"));
  const queue = new PgCallRowQueue(db.$client, { maxBatch, retryMs, onError });
  return batchedCallStore<Promise<void>>(
    {
      write: (rows, now) => queue.add(rows, now),
      close: () => queue.close(),
      settled: () => queue.settled(),
    },
    { maxDelayMs, maxBatch },
    onError,
  );
}

/** A bad row: SQLSTATE class 22 (data exception) or 23 (integrity constraint violation). */
const isBadRow = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
};

/**
 * Rows on their way to the server, written by one attempt at a time, in order. An attempt writes
 * everything queued when it starts, `maxBatch` rows to a transaction; a refused transaction stops
 * it, keeping its rows and those after for a retry `retryMs` later (or an explicit flush's attempt).
 * A failing streak is reported once, at its first failure.
 */
class PgCallRowQueue {
  #rows: CallRow[] = [];
  #retry: NodeJS.Timeout | undefined;
  /** The last attempt started or queued; attempts run one after another. */
  #tail: Promise<void> = Promise.resolve();
  /** An attempt queued behind the running one, not started yet: it will take what comes in now. */
  #next: Promise<void> | null = null;
  #failing = false;
  #stopped = false;
  readonly #pool: pg.Pool;
  readonly #maxBatch: number;
  readonly #retryMs: number;
  readonly #onError: (err: unknown) => void;

  constructor(
    pool: pg.Pool,
    options: { maxBatch: number; retryMs: number; onError: (err: unknown) => void },
  ) {
    this.#pool = pool;
    this.#maxBatch = options.maxBatch;
    this.#retryMs = options.retryMs;
    this.#onError = options.onError;
  }

  /** Queues a batch; resolved once it has been tried (or, while waiting to retry, once that is). */
  add(rows: CallRow[], now: boolean): Promise<void> {
    if (this.#stopped) return this.#tail;
    this.#rows = this.#rows.length === 0 ? rows : this.#rows.concat(rows);
    // While the database fails, new rows wait for the retry (unless flushed): no attempt per row.
    if ((this.#retry !== undefined || this.#failing) && !now) return this.#tail;
    return this.#start();
  }

  /** Resolved once everything queued so far has been tried. */
  settled(): Promise<void> {
    return this.#tail;
  }

  /** A last attempt, then stops: rows still not written are reported and dropped. */
  async close(): Promise<void> {
    if (this.#stopped) return this.#tail;
    await this.#start();
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const lost = this.#rows.length;
    this.#rows = [];
    if (lost > 0) this.#onError(notWritten(lost));
  }

  #start(): Promise<void> {
    if (this.#next) return this.#next;
    const next = this.#tail.then(() => {
      this.#next = null;
      return this.#attempt();
    });
    this.#next = next;
    this.#tail = next;
    return next;
  }

  async #attempt(): Promise<void> {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    // Only what is queued now: rows that come during the attempt start the next one.
    let left = this.#rows.length;
    while (left > 0) {
      const batch = this.#rows.slice(0, Math.min(left, this.#maxBatch));
      const { done, err } = await this.#write(batch);
      // Rows are only appended meanwhile: the batch is still at the front.
      this.#rows.splice(0, done);
      left -= done;
      if (err !== undefined) {
        if (!this.#failing) this.#onError(err);
        this.#failing = true;
        if (this.#rows.length > MAX_QUEUED) {
          const over = this.#rows.splice(0, this.#rows.length - MAX_QUEUED).length;
          this.#onError(
            new Error(`call store: ${over} queued call records dropped (the database keeps failing)`),
          );
        }
        if (!this.#stopped) {
          this.#retry = setTimeout(() => void this.#start(), this.#retryMs);
          this.#retry.unref();
        }
        return;
      }
    }
    this.#failing = false;
    // Rows that waited during a retry that succeeded go now.
    if (this.#rows.length > 0 && !this.#stopped) void this.#start();
  }

  /**
   * Writes a batch in one transaction; after a bad row, row by row. Returns how many of its rows
   * are done with (written, or reported as bad), and the error that stopped it, if one did.
   */
  async #write(batch: CallRow[]): Promise<{ done: number; err?: unknown }> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      return { done: 0, err };
    }
    // A checked-out client has no listener of the pool's: a connection lost between two queries
    // must not become an uncaught 'error' event (the next query fails instead).
    const ignore = () => {};
    client.on("error", ignore);
    let broken: unknown;
    try {
      const rows = batch.map((row) => encoded(row, this.#onError));
      try {
        await client.query("BEGIN");
        for (const s of batchStatements(rows)) await client.query(s.text, s.values);
        await client.query("COMMIT");
        return { done: batch.length };
      } catch (err) {
        await client.query("ROLLBACK").catch((e: unknown) => (broken = e));
        if (!isBadRow(err) || broken !== undefined) {
          broken ??= err;
          return { done: 0, err };
        }
      }
      // A bad row: the rows one by one (each its own transaction), the bad ones reported.
      for (let i = 0; i < rows.length; i++) {
        for (const s of batchStatements([rows[i]])) {
          try {
            await client.query(s.text, s.values);
          } catch (err) {
            if (!isBadRow(err)) {
              broken = err;
              return { done: i, err };
            }
            this.#onError(err);
          }
        }
      }
      return { done: batch.length };
    } finally {
      client.off("error", ignore);
      // A connection that failed is not given back to the pool for another use.
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  }
}

interface Statement {
  text: string;
  values: unknown[];
}

/** Column name, statement parameter (call-rows.ts's names), PostgreSQL type. */
type Column = [column: string, param: string, type: string];

const CALL_COLUMNS: Column[] = [
  ["id", "id", "text"],
  ["account_id", "accountId", "text"],
  ["domain_id", "domainId", "text"],
  ["sip_call_id", "sipCallId", "text"],
  ['"from"', "from", "text"],
  ['"to"', "to", "text"],
  ["origin", "origin", "text"],
  ["state", "state", "text"],
  ["started_at", "startedAt", "int8"],
  ["node_id", "nodeId", "text"],
];
const LEG_COLUMNS: Column[] = [
  ["id", "id", "text"],
  ["call_id", "callId", "text"],
  ["direction", "direction", "text"],
  ["sip_call_id", "sipCallId", "text"],
  ["local_tag", "localTag", "text"],
  ["remote_tag", "remoteTag", "text"],
  ["remote_uri", "remoteUri", "text"],
  ["transport", "transport", "text"],
  ["source", "source", "text"],
  ["trunk_id", "trunkId", "text"],
  ["state", "state", "text"],
  ["created_at", "createdAt", "int8"],
  ["answered_at", "answeredAt", "int8"],
  ["ended_at", "endedAt", "int8"],
];
const MESSAGE_COLUMNS: Column[] = [
  ["call_id", "callId", "text"],
  ["seq", "seq", "int4"],
  ["leg_id", "legId", "text"],
  ["direction", "direction", "text"],
  ["method", "method", "text"],
  ["status", "status", "int4"],
  ["reason", "reason", "text"],
  ["request_uri", "requestUri", "text"],
  ["cseq", "cseq", "text"],
  ["at", "at", "int8"],
  ["headers", "headers", "jsonb"],
  ["body_size", "bodySize", "int4"],
  ["body", "body", "text"],
];
const HOOK_COLUMNS: Column[] = [
  ["call_id", "callId", "text"],
  ["seq", "seq", "int4"],
  ["at", "at", "int8"],
  ["kind", "kind", "text"],
  ["event_type", "eventType", "text"],
  ["url", "url", "text"],
  ["status", "status", "int4"],
  ["latency_ms", "latencyMs", "int4"],
  ["actions", "actions", "jsonb"],
  ["error", "error", "text"],
];
/** The patch columns (`id` first), as in call-rows.ts's `keep`. */
const CALL_PATCH: Column[] = [
  ["id", "id", "text"],
  ["state", "state", "text"],
  ["ringing_at", "ringingAt", "int8"],
  ["answered_at", "answeredAt", "int8"],
  ["ended_at", "endedAt", "int8"],
  ["end_status", "endStatus", "int4"],
  ["end_reason", "endReason", "text"],
];
const LEG_PATCH: Column[] = [
  ["id", "id", "text"],
  ["state", "state", "text"],
  ["remote_tag", "remoteTag", "text"],
  ["answered_at", "answeredAt", "int8"],
  ["ended_at", "endedAt", "int8"],
];

/** One array parameter per column: `unnest($1::text[], $2::int8[], ...) AS v(a, b, ...)`. */
function unnest(columns: Column[], rows: Record<string, unknown>[]): { from: string; values: unknown[] } {
  const values = columns.map(([, param]) => rows.map((r) => r[param] ?? null));
  const args = columns.map(([, , type], i) => `$${i + 1}::${type}[]`).join(", ");
  const names = columns.map(([column]) => column).join(", ");
  return { from: `unnest(${args}) AS v(${names})`, values };
}

function insert(table: string, columns: Column[], rows: Record<string, unknown>[]): Statement {
  const { from, values } = unnest(columns, rows);
  const names = columns.map(([column]) => column).join(", ");
  return { text: `INSERT INTO ${table} (${names}) SELECT ${names} FROM ${from}`, values };
}

/** `column = coalesce(v.column, table.column)`: a patch leaves what it does not name as it is. */
function update(table: string, columns: Column[], rows: Record<string, unknown>[]): Statement {
  const { from, values } = unnest(columns, rows);
  const set = columns
    .slice(1)
    .map(([column]) => `${column} = coalesce(v.${column}, ${table}.${column})`)
    .join(", ");
  return { text: `UPDATE ${table} SET ${set} FROM ${from} WHERE ${table}.id = v.id`, values };
}

/** Patches of one row merged in order: a later patch's value wins, as applying them in turn does. */
function merge(patches: Record<string, unknown>[]): Record<string, unknown>[] {
  const byId = new Map<unknown, Record<string, unknown>>();
  for (const p of patches) {
    const seen = byId.get(p.id);
    if (!seen) byId.set(p.id, { ...p });
    else for (const [k, v] of Object.entries(p)) if (v !== null && v !== undefined) seen[k] = v;
  }
  return [...byId.values()];
}

/** JSON columns as JSON text; undefined (reported) for a row whose value cannot be encoded. */
function encoded(row: CallRow, onError: (err: unknown) => void): CallRow | undefined {
  if (row.s !== "insertMessage" && row.s !== "insertHook") return row;
  try {
    return {
      s: row.s,
      p:
        row.s === "insertMessage"
          ? { ...row.p, headers: JSON.stringify(row.p.headers) }
          : { ...row.p, actions: row.p.actions == null ? null : JSON.stringify(row.p.actions) },
    };
  } catch (err) {
    onError(err);
    return undefined;
  }
}

/**
 * A batch's statements (its rows encoded), per segment: its calls inserted, then its legs, the calls' and legs'
 * merged patches, its messages and its hooks, each group as one statement. A segment ends before
 * a row that would otherwise go ahead of a row it must follow: the insert of a call or leg that an
 * earlier row of the segment refers to (which, in turn, would not have found it).
 */
export function batchStatements(batch: ReadonlyArray<CallRow | undefined>): Statement[] {
  const statements: Statement[] = [];
  let groups = emptyGroups();
  let calls = new Set<unknown>();
  let legs = new Set<unknown>();
  const end = () => {
    const { insertCall, insertLeg, updateCall, updateLeg, insertMessage, insertHook } = groups;
    if (insertCall.length > 0) statements.push(insert("calls", CALL_COLUMNS, insertCall));
    if (insertLeg.length > 0) statements.push(insert("call_legs", LEG_COLUMNS, insertLeg));
    if (updateCall.length > 0) statements.push(update("calls", CALL_PATCH, merge(updateCall)));
    if (updateLeg.length > 0) statements.push(update("call_legs", LEG_PATCH, merge(updateLeg)));
    if (insertMessage.length > 0) statements.push(insert("call_messages", MESSAGE_COLUMNS, insertMessage));
    if (insertHook.length > 0) statements.push(insert("call_hooks", HOOK_COLUMNS, insertHook));
    groups = emptyGroups();
    calls = new Set();
    legs = new Set();
  };
  for (const row of batch) {
    if (!row) continue; // not encodable, reported
    const { p } = row;
    // Rows that refer to a call or leg: its insert must not move ahead of them.
    if ((row.s === "insertCall" && calls.has(p.id)) || (row.s === "insertLeg" && legs.has(p.id))) end();
    if (row.s === "updateCall") calls.add(p.id);
    else if (row.s === "updateLeg") legs.add(p.id);
    else if (row.s !== "insertCall") {
      calls.add(p.callId);
      if (row.s === "insertMessage" && p.legId != null) legs.add(p.legId);
    }
    groups[row.s].push(p);
  }
  end();
  return statements;
}

const emptyGroups = (): Record<CallRow["s"], Record<string, unknown>[]> => ({
  insertCall: [],
  insertLeg: [],
  updateCall: [],
  updateLeg: [],
  insertMessage: [],
  insertHook: [],
});
