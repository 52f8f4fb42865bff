/**
 * The SQL side of the call store: the statements that write calls, legs and the per-call SIP
 * trace, a writer that applies a batch of them in one transaction, and a queue that keeps a batch
 * the database refused and tries it again. Used on the event loop or in the writer thread
 * (call-store-worker.ts), so it imports no more than better-sqlite3.
 */
import type BetterSqlite3 from "better-sqlite3";

/** `column = coalesce(@name, column)`: a patch leaves what it does not name as it is. */
const keep = (...columns: Array<[column: string, param: string]>) =>
  columns.map(([column, param]) => `${column} = coalesce(@${param}, ${column})`).join(", ");

export const CALL_STATEMENTS = {
  insertCall: `insert into calls (id, account_id, domain_id, sip_call_id, "from", "to", origin, state, started_at, node_id)
     values (@id, @accountId, @domainId, @sipCallId, @from, @to, @origin, @state, @startedAt, @nodeId)`,
  updateCall: `update calls set ${keep(
    ["state", "state"],
    ["ringing_at", "ringingAt"],
    ["answered_at", "answeredAt"],
    ["ended_at", "endedAt"],
    ["end_status", "endStatus"],
    ["end_reason", "endReason"],
  )} where id = @id`,
  insertLeg: `insert into call_legs (id, call_id, direction, sip_call_id, local_tag, remote_tag, remote_uri,
       transport, source, trunk_id, state, created_at, answered_at, ended_at)
     values (@id, @callId, @direction, @sipCallId, @localTag, @remoteTag, @remoteUri,
       @transport, @source, @trunkId, @state, @createdAt, @answeredAt, @endedAt)`,
  updateLeg: `update call_legs set ${keep(
    ["state", "state"],
    ["remote_tag", "remoteTag"],
    ["answered_at", "answeredAt"],
    ["ended_at", "endedAt"],
  )} where id = @id`,
  insertMessage: `insert into call_messages (call_id, seq, leg_id, direction, method, status, reason,
       request_uri, cseq, at, headers, body_size, body)
     values (@callId, @seq, @legId, @direction, @method, @status, @reason,
       @requestUri, @cseq, @at, @headers, @bodySize, @body)`,
  insertHook: `insert into call_hooks (call_id, seq, at, kind, event_type, url, status, latency_ms, actions, error)
     values (@callId, @seq, @at, @kind, @eventType, @url, @status, @latencyMs, @actions, @error)`,
} as const;

/**
 * One write: which statement, and its named parameters (plain values only, so a row can be posted
 * to the writer thread as it is).
 */
export interface CallRow {
  s: keyof typeof CALL_STATEMENTS;
  /** `headers` of an insertMessage row and `actions` of an insertHook row are written as JSON. */
  p: Record<string, unknown>;
}

/**
 * The writer thread's shared counters (a BigInt64Array): `written`, the last batch written with
 * nothing left over; `tried`, the last batch tried (written, or refused and kept); `closed`, 1 once
 * its connection is closed; `dead`, 1 once the thread ends; `lost`, rows it held unwritten at close.
 */
export const SLOT = { written: 0, tried: 1, closed: 2, dead: 3, lost: 4 } as const;

/** The report of rows given up on when the store closed. */
export const notWritten = (rows: number) =>
  new Error(`call store: ${rows} call records not written (the database kept failing)`);

/** Rows kept while the database refuses batches, and how soon a refused batch is tried again. */
const MAX_QUEUED = 100_000;
const RETRY_MS = 1000;

const isConstraintError = (err: unknown) =>
  typeof (err as { code?: unknown })?.code === "string" &&
  (err as { code: string }).code.startsWith("SQLITE_CONSTRAINT");

/**
 * Writes a batch in one transaction (a commit costs ten times a row). A bad row (a constraint
 * refuses it) is reported and the batch's other rows are written one by one; any other failure
 * (SQLITE_BUSY past the busy timeout, a full disk) rolls the batch back whole and is thrown.
 */
export function createCallRowWriter(sqlite: BetterSqlite3.Database, onError: (err: unknown) => void) {
  const prepared = Object.fromEntries(
    Object.entries(CALL_STATEMENTS).map(([name, sql]) => [name, sqlite.prepare(sql)]),
  ) as Record<CallRow["s"], BetterSqlite3.Statement>;
  /** The statement's parameters, or undefined (reported) for a row that cannot be encoded. */
  const params = (row: CallRow) => {
    if (row.s !== "insertMessage" && row.s !== "insertHook") return row.p;
    try {
      return row.s === "insertMessage"
        ? { ...row.p, headers: JSON.stringify(row.p.headers) }
        : { ...row.p, actions: row.p.actions == null ? null : JSON.stringify(row.p.actions) };
    } catch (err) {
      onError(err);
      return undefined;
    }
  };
  const writeAll = sqlite.transaction((rows: Array<[BetterSqlite3.Statement, Record<string, unknown>]>) => {
    for (const [statement, p] of rows) statement.run(p);
  });
  return (batch: CallRow[]): void => {
    const rows: Array<[BetterSqlite3.Statement, Record<string, unknown>]> = [];
    for (const row of batch) {
      const p = params(row);
      if (p) rows.push([prepared[row.s], p]);
    }
    try {
      writeAll(rows);
    } catch (err) {
      if (!isConstraintError(err)) throw err;
      for (const [statement, p] of rows) {
        try {
          statement.run(p);
        } catch (rowErr) {
          onError(rowErr);
        }
      }
    }
  };
}

/**
 * Rows on their way to the database. A batch the database refused is kept (up to MAX_QUEUED rows,
 * oldest dropped first, said once per drop) and tried again RETRY_MS later, with whatever came in
 * meanwhile; `add(rows, true)` tries at once.
 */
export class CallRowQueue {
  #rows: CallRow[] = [];
  #retry: NodeJS.Timeout | undefined;
  readonly #write: (batch: CallRow[]) => void;
  readonly #onError: (err: unknown) => void;
  readonly #onDrained: () => void;

  /** `onDrained`: called whenever an attempt leaves nothing unwritten. */
  constructor(write: (batch: CallRow[]) => void, onError: (err: unknown) => void, onDrained = () => {}) {
    this.#write = write;
    this.#onError = onError;
    this.#onDrained = onDrained;
  }

  /** Rows not written yet. */
  get size(): number {
    return this.#rows.length;
  }

  add(rows: CallRow[], now = false): void {
    this.#rows = this.#rows.length === 0 ? rows : this.#rows.concat(rows);
    if (this.#retry === undefined || now) this.#attempt();
  }

  /** Stops retrying; returns how many rows were never written. */
  stop(): number {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const left = this.#rows.length;
    this.#rows = [];
    return left;
  }

  #attempt(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const rows = this.#rows;
    try {
      if (rows.length > 0) this.#write(rows);
      this.#rows = [];
      this.#onDrained();
    } catch (err) {
      this.#onError(err);
      if (rows.length > MAX_QUEUED) {
        const over = rows.splice(0, rows.length - MAX_QUEUED).length;
        this.#onError(
          new Error(`call store: ${over} queued call records dropped (the database keeps failing)`),
        );
      }
      this.#retry = setTimeout(() => this.#attempt(), RETRY_MS);
    }
  }
}
