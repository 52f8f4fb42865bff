import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.js";

/** A SIP domain (`acme.sip.example`): unique platform-wide, it is how SIP traffic finds its tenant. */
export const domains = sqliteTable(
  "domains",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull().unique(),
    /** SPEC §5: new incoming calls are described to this URL first. */
    applicationUrl: text("application_url"),
    fallbackUrl: text("fallback_url"),
    /** SPEC §5: how long the application may take to answer before the fallback is asked. */
    applicationTimeoutMs: integer("application_timeout_ms"),
    /** Signs the application hook's requests (`whsec_...`, Standard Webhooks), set with the first URL. */
    hookSecret: text("hook_secret"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("domains_account_idx").on(t.accountId)],
);

/**
 * SIP digest credentials. Only HA1 = H(username:realm:password) is stored (RFC 3261 §22.4,
 * RFC 8760 for SHA-256); the realm is the domain name, so HA1 stays valid as long as the domain does.
 */
export const credentials = sqliteTable(
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
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("credentials_domain_username_uq").on(t.domainId, t.username),
    index("credentials_account_idx").on(t.accountId),
  ],
);

export type SipTransport = "udp" | "tcp" | "tls" | "ws" | "wss";

/**
 * Location service bindings (RFC 3261 §10.3): one row per (aor, contact). `source` is the
 * `ip:port` the REGISTER came from; `connectionId` names the WebSocket/TCP connection to reuse
 * (RFC 5626 outbound), `instanceId` the `+sip.instance` of the device.
 */
export const registrations = sqliteTable(
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
    expiresAt: integer("expires_at").notNull(),
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
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("registrations_aor_contact_uq").on(t.aor, t.contact),
    index("registrations_account_idx").on(t.accountId),
    index("registrations_expires_idx").on(t.expiresAt),
    index("registrations_node_idx").on(t.nodeId),
  ],
);

export type Domain = typeof domains.$inferSelect;
export type Credential = typeof credentials.$inferSelect;
export type Registration = typeof registrations.$inferSelect;
