/**
 * The two write shapes measured: outbox rows (`outbox_events`, written by the callback engine
 * before an event counts as accepted, SPEC §4) and trace rows (`call_messages`, the call store's
 * SIP trace), with the columns and value sizes they have in real use. One multi-row INSERT per
 * batch, the same statement text for every target (placeholders `?` on SQLite, `$n` on PostgreSQL).
 */
export interface Shape {
  table: string;
  columns: string[];
  /** Row `i` of the run (unique keys from `i`). */
  row(i: number): unknown[];
}

const ACCOUNT = "acc_bench";
const CALL = "call_bench";
const BODY = JSON.stringify({
  type: "call.answered",
  timestamp: "2026-12-06T00:00:00.000Z",
  data: { callId: CALL, seq: 3, from: "sip:alice@acme.sip.example", to: "sip:bob@acme.sip.example" },
});
const SDP =
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\n";
/** An object: both PostgreSQL drivers send it as JSON (jsonb); the SQLite target stringifies it. */
const HEADERS = {
  via: "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds",
  from: "<sip:alice@acme.sip.example>;tag=1928301774",
  to: "<sip:bob@acme.sip.example>",
  "call-id": "a84b4c76e66710@127.0.0.1",
  cseq: "1 INVITE",
  contact: "<sip:alice@127.0.0.1:5062>",
  "content-type": "application/sdp",
};

export const outbox: Shape = {
  table: "outbox_events",
  columns: ["id", "account_id", "call_id", "seq", "type", "body", "created_at"],
  row: (i) => [`evt_${i}`, ACCOUNT, CALL, i, "call.answered", BODY, 1_796_500_000_000 + i],
};

export const trace: Shape = {
  table: "call_messages",
  columns: [
    "call_id",
    "seq",
    "leg_id",
    "direction",
    "method",
    "status",
    "reason",
    "request_uri",
    "cseq",
    "at",
    "headers",
    "body_size",
    "body",
  ],
  row: (i) => [
    CALL,
    i,
    null,
    "received",
    "INVITE",
    null,
    null,
    "sip:bob@acme.sip.example",
    "1 INVITE",
    1_796_500_000_000 + i,
    HEADERS,
    SDP.length,
    SDP,
  ],
};

/**
 * What every target needs before the rows: the account and the call they hang off (kept if there,
 * for a server named by HOOKLINE_TEST_POSTGRES_URL that an earlier run already filled).
 */
export const parents = {
  account: {
    sql: "INSERT INTO accounts (id, name, created_at) VALUES ('acc_bench', 'bench', 0) ON CONFLICT DO NOTHING",
  },
  call: {
    sql:
      'INSERT INTO calls (id, account_id, sip_call_id, "from", "to", state, started_at) ' +
      "VALUES ('call_bench', 'acc_bench', 'x@127.0.0.1', 'sip:a@x', 'sip:b@x', 'answered', 0) ON CONFLICT DO NOTHING",
  },
};

/** `INSERT INTO t (cols) VALUES (...), (...)` for `batch` rows. */
const texts = new Map<string, string>();

/** Built once per table, batch size and dialect: the timed loops measure the drivers, not this. */
export function insertSql(shape: Shape, batch: number, dialect: "sqlite" | "pg"): string {
  const key = `${shape.table}/${batch}/${dialect}`;
  let text = texts.get(key);
  if (text === undefined) texts.set(key, (text = buildInsertSql(shape, batch, dialect)));
  return text;
}

function buildInsertSql(shape: Shape, batch: number, dialect: "sqlite" | "pg"): string {
  const width = shape.columns.length;
  const tuples: string[] = [];
  for (let r = 0; r < batch; r++) {
    const slots = shape.columns.map((_, c) => (dialect === "pg" ? `$${r * width + c + 1}` : "?"));
    tuples.push(`(${slots.join(", ")})`);
  }
  return `INSERT INTO ${shape.table} (${shape.columns.join(", ")}) VALUES ${tuples.join(", ")}`;
}

/** The flat parameter list of rows `first .. first + batch - 1`. */
export function batchValues(shape: Shape, first: number, batch: number): unknown[] {
  const values: unknown[] = [];
  for (let i = first; i < first + batch; i++) values.push(...shape.row(i));
  return values;
}
