// PostgreSQL dialect of ../schema/calls.ts: calls, legs, the SIP trace and the hook requests.
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import type {
  CallOrigin,
  CallState,
  HookKind,
  LegDirection,
  LegState,
  MessageDirection,
} from "../schema/calls.js";
import { accounts, ms } from "./accounts.js";
import { domains } from "./sip.js";

export const calls = pgTable(
  "calls",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    domainId: text("domain_id").references(() => domains.id, { onDelete: "set null" }),
    sipCallId: text("sip_call_id").notNull(),
    from: text("from").notNull(),
    to: text("to").notNull(),
    origin: text("origin").$type<CallOrigin>().notNull().default("inbound"),
    state: text("state").$type<CallState>().notNull(),
    endStatus: integer("end_status"),
    endReason: text("end_reason"),
    startedAt: ms("started_at").notNull(),
    ringingAt: ms("ringing_at"),
    answeredAt: ms("answered_at"),
    endedAt: ms("ended_at"),
    nodeId: text("node_id"),
  },
  (t) => [
    index("calls_account_started_idx").on(t.accountId, t.startedAt),
    index("calls_sip_call_id_idx").on(t.sipCallId),
    index("calls_node_state_idx").on(t.nodeId, t.state),
  ],
);

export const callLegs = pgTable(
  "call_legs",
  {
    id: text("id").primaryKey(),
    callId: text("call_id")
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    direction: text("direction").$type<LegDirection>().notNull(),
    sipCallId: text("sip_call_id").notNull(),
    localTag: text("local_tag"),
    remoteTag: text("remote_tag"),
    remoteUri: text("remote_uri").notNull(),
    transport: text("transport").notNull(),
    source: text("source"),
    /** No foreign key, as in SQLite: a deleted trunk's minutes still count toward its account. */
    trunkId: text("trunk_id"),
    state: text("state").$type<LegState>().notNull(),
    createdAt: ms("created_at").notNull(),
    answeredAt: ms("answered_at"),
    endedAt: ms("ended_at"),
  },
  (t) => [
    index("call_legs_call_idx").on(t.callId),
    index("call_legs_trunk_ended_idx").on(t.trunkId, t.endedAt),
    // Trunk legs by their end, in progress (null) first: what the other gateway nodes carry is
    // read every 2 s (cluster-usage.ts), and reads only today's and the running legs with this.
    index("call_legs_trunk_legs_ended_idx")
      .on(t.endedAt)
      .where(sql`${t.trunkId} is not null`),
  ],
);

export const callMessages = pgTable(
  "call_messages",
  {
    callId: text("call_id")
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    legId: text("leg_id").references(() => callLegs.id, { onDelete: "set null" }),
    direction: text("direction").$type<MessageDirection>().notNull(),
    method: text("method"),
    status: integer("status"),
    reason: text("reason"),
    requestUri: text("request_uri"),
    cseq: text("cseq"),
    at: ms("at").notNull(),
    headers: jsonb("headers").$type<Record<string, string | string[]>>().notNull(),
    bodySize: integer("body_size").notNull(),
    /** SPEC §4: the first 16 KiB of the body as text. */
    body: text("body"),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

export const callHooks = pgTable(
  "call_hooks",
  {
    callId: text("call_id")
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    at: ms("at").notNull(),
    kind: text("kind").$type<HookKind>().notNull(),
    eventType: text("event_type").notNull(),
    url: text("url").notNull(),
    status: integer("status"),
    latencyMs: integer("latency_ms").notNull(),
    actions: jsonb("actions").$type<unknown[]>(),
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);
