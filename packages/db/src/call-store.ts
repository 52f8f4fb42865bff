/**
 * Writes of the gateway's call records (calls, legs, the per-call SIP trace), as statements
 * prepared once, applied in batches: a call produces a few dozen rows, and one transaction per
 * batch instead of one per row (or per event-loop turn) is what keeps the trace from bounding calls
 * per second: a commit costs ten times a row. A batch is written `maxDelayMs` after its first row
 * or at `maxBatch` rows; a reader in this process that must see everything calls `flush()` first
 * (the console does before it reads calls), other processes see rows within `maxDelayMs`.
 * The statements are better-sqlite3's own: drizzle's per-call parameter mapping cost as much as
 * SQLite's work here (gateway benchmark profile).
 */
import type { Database } from "./open-database.js";
import type { calls, CallLeg, CallMessage } from "./schema/calls.js";

type NewCall = typeof calls.$inferInsert;
type CallPatch = Partial<Omit<NewCall, "id">>;
type LegPatch = Partial<Omit<CallLeg, "id" | "callId">>;

export interface CallStore {
  insertCall(row: NewCall): void;
  updateCall(id: string, patch: CallPatch): void;
  insertLeg(row: CallLeg): void;
  updateLeg(id: string, patch: LegPatch): void;
  insertMessage(row: CallMessage): void;
  /** Writes what is queued now (also done automatically `maxDelayMs` after the first queued row). */
  flush(): void;
  /** Writes what is queued; later records are dropped (reported once): the database is closing. */
  close(): void;
}

export interface CallStoreOptions {
  /** Longest a row waits for its batch, ms. Default 20. */
  maxDelayMs?: number;
  /** A batch this long is written at once. Default 1000. */
  maxBatch?: number;
  onError?: (err: unknown) => void;
}

/** `column = coalesce(@name, column)`: a patch leaves what it does not name as it is. */
const keep = (...columns: Array<[column: string, param: string]>) =>
  columns.map(([column, param]) => `${column} = coalesce(@${param}, ${column})`).join(", ");

/** Rows kept while the database refuses batches, and how soon a refused batch is tried again. */
const MAX_QUEUED = 100_000;
const RETRY_MS = 1000;

const isConstraintError = (err: unknown) =>
  typeof (err as { code?: unknown })?.code === "string" &&
  (err as { code: string }).code.startsWith("SQLITE_CONSTRAINT");

export function createCallStore(db: Database, options: CallStoreOptions = {}): CallStore {
  const { maxDelayMs = 20, maxBatch = 1000, onError = console.error } = options;
  const sqlite = db.$client;
  const insertCall = sqlite.prepare(
    `insert into calls (id, account_id, domain_id, sip_call_id, "from", "to", state, started_at)
     values (@id, @accountId, @domainId, @sipCallId, @from, @to, @state, @startedAt)`,
  );
  const updateCall = sqlite.prepare(
    `update calls set ${keep(
      ["state", "state"],
      ["ringing_at", "ringingAt"],
      ["answered_at", "answeredAt"],
      ["ended_at", "endedAt"],
      ["end_status", "endStatus"],
      ["end_reason", "endReason"],
    )} where id = @id`,
  );
  const insertLeg = sqlite.prepare(
    `insert into call_legs (id, call_id, direction, sip_call_id, local_tag, remote_tag, remote_uri,
       transport, source, state, created_at, answered_at, ended_at)
     values (@id, @callId, @direction, @sipCallId, @localTag, @remoteTag, @remoteUri,
       @transport, @source, @state, @createdAt, @answeredAt, @endedAt)`,
  );
  const updateLeg = sqlite.prepare(
    `update call_legs set ${keep(
      ["state", "state"],
      ["remote_tag", "remoteTag"],
      ["answered_at", "answeredAt"],
      ["ended_at", "endedAt"],
    )} where id = @id`,
  );
  const insertMessage = sqlite.prepare(
    `insert into call_messages (call_id, seq, leg_id, direction, method, status, reason,
       request_uri, cseq, at, headers, body_size)
     values (@callId, @seq, @legId, @direction, @method, @status, @reason,
       @requestUri, @cseq, @at, @headers, @bodySize)`,
  );
  let queue: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let dropped = 0;

  const writeAll = sqlite.transaction((batch: Array<() => void>) => {
    for (const write of batch) write();
  });
  const schedule = () => {
    if (queue.length >= maxBatch) flush();
    else timer ??= setTimeout(flush, maxDelayMs);
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    try {
      writeAll(batch);
    } catch (err) {
      if (!isConstraintError(err)) {
        // The database is busy or failing (SQLITE_BUSY past the busy timeout, disk full): the
        // batch was rolled back whole; keep it for the next try, up to a bound.
        onError(err);
        queue = batch.concat(queue);
        if (queue.length > MAX_QUEUED) {
          const over = queue.splice(0, queue.length - MAX_QUEUED).length;
          onError(new Error(`call store: ${over} queued call records dropped (the database keeps failing)`));
        }
        timer ??= setTimeout(flush, RETRY_MS);
        return;
      }
      // One bad row must not take the batch's other rows with it: write them one by one.
      for (const write of batch) {
        try {
          write();
        } catch (rowErr) {
          onError(rowErr);
        }
      }
    }
  };
  const enqueue = (write: () => void) => {
    if (closed) {
      if (dropped++ === 0) onError(new Error("call store is closed: a late call record was dropped"));
      return;
    }
    queue.push(write);
    schedule();
  };

  return {
    insertCall: (row) =>
      enqueue(() =>
        insertCall.run({
          id: row.id,
          accountId: row.accountId,
          domainId: row.domainId ?? null,
          sipCallId: row.sipCallId,
          from: row.from,
          to: row.to,
          state: row.state,
          startedAt: row.startedAt,
        }),
      ),
    updateCall: (id, patch) =>
      enqueue(() =>
        updateCall.run({
          id,
          state: patch.state ?? null,
          ringingAt: patch.ringingAt ?? null,
          answeredAt: patch.answeredAt ?? null,
          endedAt: patch.endedAt ?? null,
          endStatus: patch.endStatus ?? null,
          endReason: patch.endReason ?? null,
        }),
      ),
    insertLeg: (row) => enqueue(() => insertLeg.run(row)),
    updateLeg: (id, patch) =>
      enqueue(() =>
        updateLeg.run({
          id,
          state: patch.state ?? null,
          remoteTag: patch.remoteTag ?? null,
          answeredAt: patch.answeredAt ?? null,
          endedAt: patch.endedAt ?? null,
        }),
      ),
    insertMessage: (row) =>
      enqueue(() => insertMessage.run({ ...row, headers: JSON.stringify(row.headers) })),
    flush,
    close() {
      flush();
      closed = true;
      clearTimeout(timer);
    },
  };
}
