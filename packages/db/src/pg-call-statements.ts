/**
 * The statements of a call-store batch on PostgreSQL (pg-call-store.ts). A batch costs a few
 * statements, not one per row: its rows are grouped by statement into multi-row statements over
 * `unnest`ed arrays, run in a fixed order (calls, legs, the updates, then messages and hooks), and
 * a patch's updates of one row are merged first (`coalesce(later, earlier)`, which is what
 * applying them in turn does). A row is never moved ahead of a row it must follow: the batch is
 * cut into segments where that would happen (an insert after a row that refers to it), each
 * segment grouped on its own, so the result is the rows' in turn.
 */
import type { CallRow } from "./call-rows.js";

export interface Statement {
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
export function encoded(row: CallRow, onError: (err: unknown) => void): CallRow | undefined {
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
