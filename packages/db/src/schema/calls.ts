import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.js";
import { domains } from "./sip.js";

export type CallState = "initiated" | "ringing" | "answered" | "completed" | "failed";
/** `inbound`: a SIP INVITE reached the gateway; `api`: started with `POST /v1/calls` (SPEC §5). */
export type CallOrigin = "inbound" | "api";

/** One call as the tenant sees it: the B2BUA's pair (or more) of legs. */
export const calls = sqliteTable(
  "calls",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    domainId: text("domain_id").references(() => domains.id, { onDelete: "set null" }),
    /** Call-ID of the first (inbound) leg. */
    sipCallId: text("sip_call_id").notNull(),
    from: text("from").notNull(),
    to: text("to").notNull(),
    origin: text("origin").$type<CallOrigin>().notNull().default("inbound"),
    state: text("state").$type<CallState>().notNull(),
    /** Final SIP status and reason when the call failed or ended with one. */
    endStatus: integer("end_status"),
    endReason: text("end_reason"),
    startedAt: integer("started_at").notNull(),
    ringingAt: integer("ringing_at"),
    answeredAt: integer("answered_at"),
    endedAt: integer("ended_at"),
    /**
     * The node that carries the call (nodes.id): when that node is lost, another ends the call
     * with reason `node-lost`. Null for calls recorded before nodes had ids.
     */
    nodeId: text("node_id"),
  },
  (t) => [
    index("calls_account_started_idx").on(t.accountId, t.startedAt),
    index("calls_sip_call_id_idx").on(t.sipCallId),
    index("calls_node_state_idx").on(t.nodeId, t.state),
  ],
);

export type LegDirection = "inbound" | "outbound";
export type LegState = "trying" | "early" | "confirmed" | "terminated";

/** One SIP dialog (or dialog attempt) of a call. */
export const callLegs = sqliteTable(
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
    /**
     * The trunk an outbound leg went out through (SPEC §3 trunks), for the daily outbound minutes.
     * No foreign key: the minutes of a trunk deleted today still count toward its account.
     */
    trunkId: text("trunk_id"),
    state: text("state").$type<LegState>().notNull(),
    createdAt: integer("created_at").notNull(),
    answeredAt: integer("answered_at"),
    endedAt: integer("ended_at"),
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

export type MessageDirection = "received" | "sent";

/**
 * The ordered SIP trace of a call. `seq` is per call and is the same `seq` the callback events
 * carry (SPEC §4), so a tenant can line deliveries up with the trace.
 */
export const callMessages = sqliteTable(
  "call_messages",
  {
    callId: text("call_id")
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    legId: text("leg_id").references(() => callLegs.id, { onDelete: "set null" }),
    direction: text("direction").$type<MessageDirection>().notNull(),
    /** Request method, or null for a response. */
    method: text("method"),
    /** Response status, or null for a request. */
    status: integer("status"),
    reason: text("reason"),
    requestUri: text("request_uri"),
    cseq: text("cseq"),
    at: integer("at").notNull(),
    /** Header name (lower-case) → value(s), JSON. */
    headers: text("headers", { mode: "json" }).$type<Record<string, string | string[]>>().notNull(),
    /** Size of the whole body in bytes. */
    bodySize: integer("body_size").notNull(),
    /**
     * The body as text (SDP and the like), its first 16 KiB (SPEC §4: the trace keeps bodies up to
     * 16 KiB); null when the message had none. `bodySize` larger than its length: cut.
     */
    body: text("body"),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

export type HookKind = "application" | "fallback" | "redirect" | "action";

/**
 * The application-hook requests of a call (SPEC §5), on the call's timeline beside its SIP
 * messages: `seq` comes from the same per-call counter as `call_messages.seq`.
 */
export const callHooks = sqliteTable(
  "call_hooks",
  {
    callId: text("call_id")
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    at: integer("at").notNull(),
    kind: text("kind").$type<HookKind>().notNull(),
    /** `call.incoming`, `call.dial-completed`, `call.outbound-answered`. */
    eventType: text("event_type").notNull(),
    url: text("url").notNull(),
    status: integer("status"),
    latencyMs: integer("latency_ms").notNull(),
    /** The actions the answer carried, when it was usable. */
    actions: text("actions", { mode: "json" }).$type<unknown[]>(),
    /** Why the answer was not usable: timeout, refused, non-2xx, invalid JSON, a bad field... */
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

export type Call = typeof calls.$inferSelect;
export type CallHook = typeof callHooks.$inferSelect;
export type CallLeg = typeof callLegs.$inferSelect;
export type CallMessage = typeof callMessages.$inferSelect;
