// PostgreSQL dialect of ../schema/sip.ts (RFC 3261 §10.3 bindings, §22.4 HA1 credentials).
import { index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import type { SipTransport } from "../schema/sip.js";
import { accounts, ms } from "./accounts.js";

export const domains = pgTable(
  "domains",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull().unique(),
    applicationUrl: text("application_url"),
    fallbackUrl: text("fallback_url"),
    applicationTimeoutMs: integer("application_timeout_ms"),
    hookSecret: text("hook_secret"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("domains_account_idx").on(t.accountId)],
);

export const credentials = pgTable(
  "credentials",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    domainId: text("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    username: text("username").notNull(),
    realm: text("realm").notNull(),
    ha1Md5: text("ha1_md5").notNull(),
    ha1Sha256: text("ha1_sha256").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("credentials_domain_username_uq").on(t.domainId, t.username),
    index("credentials_account_idx").on(t.accountId),
  ],
);

export const registrations = pgTable(
  "registrations",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    domainId: text("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    aor: text("aor").notNull(),
    contact: text("contact").notNull(),
    transport: text("transport").$type<SipTransport>().notNull(),
    source: text("source").notNull(),
    expiresAt: ms("expires_at").notNull(),
    instanceId: text("instance_id"),
    connectionId: text("connection_id"),
    sipCallId: text("sip_call_id"),
    cseq: integer("cseq"),
    userAgent: text("user_agent"),
    /** The gateway node holding the binding's flow (SPEC §2 HOOKLINE_NODE_ID); null before it was kept. */
    nodeId: text("node_id"),
    /**
     * RFC 3327 Path: the URI other nodes route requests for this contact through (the holding
     * node, naming the flow); null on a single node.
     */
    path: text("path"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("registrations_aor_contact_uq").on(t.aor, t.contact),
    index("registrations_account_idx").on(t.accountId),
    index("registrations_expires_idx").on(t.expiresAt),
    index("registrations_node_idx").on(t.nodeId),
  ],
);
