import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.js";
import { domains } from "./sip.js";

/** Where a trunk's outbound INVITEs go, tried by ascending priority (SPEC §3). */
export interface TrunkTargetRow {
  host: string;
  port: number;
  transport: "udp" | "tcp" | "tls";
  priority: number;
}

/**
 * How numbers are written on the trunk. Inbound Request-URI users are normalised to E.164: the
 * tech prefix is stripped, `00` becomes `+`, and a national number (leading `nationalPrefix`, or
 * no `+`) gets `countryCode`. Outbound, the E.164 number is written in `outboundFormat` and the
 * tech prefix is prepended.
 */
export interface TrunkNumberFormat {
  countryCode: string | null;
  nationalPrefix: string | null;
  techPrefix: string | null;
  outboundFormat: "e164" | "digits" | "national";
}

/** Toll-fraud limits, stored here and enforced by the gateway's trunk guards. Null: no limit. */
export interface TrunkFraudLimits {
  allowedPrefixes: string[];
  deniedPrefixes: string[];
  maxConcurrentCalls: number | null;
  callsPerSecond: number | null;
  dailyOutboundMinutes: number | null;
}

/** Caller id rules toward the carrier (RFC 3325 P-Asserted-Identity, RFC 3323 Privacy). */
export interface TrunkCallerId {
  /** E.164 number sent when the caller has none of its own; null keeps the caller's. */
  number: string | null;
  /** Send P-Asserted-Identity with the caller's number (the carrier trusts us, RFC 3325 §9.1). */
  assertIdentity: boolean;
}

/**
 * A SIP trunk: a carrier or PBX connected to one account. Secrets are sealed (AES-256-GCM, see
 * `sealSecret` in @hookline/auth-tokens): the outbound password must be recoverable to answer the
 * carrier's digest challenge for whatever realm it names (RFC 3261 §22.2).
 */
export const trunks = sqliteTable(
  "trunks",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The account's default trunk: where a user dialling a number goes (SPEC §5 default route). */
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    outboundTargets: text("outbound_targets", { mode: "json" }).$type<TrunkTargetRow[]>().notNull(),
    outboundUsername: text("outbound_username"),
    outboundPasswordSealed: text("outbound_password_sealed"),
    /** IPs and CIDRs whose INVITEs are this trunk's. */
    inboundAddresses: text("inbound_addresses", { mode: "json" }).$type<string[]>().notNull(),
    inboundUsername: text("inbound_username"),
    inboundPasswordSealed: text("inbound_password_sealed"),
    numberFormat: text("number_format", { mode: "json" }).$type<TrunkNumberFormat>().notNull(),
    codecs: text("codecs", { mode: "json" }).$type<string[]>().notNull(),
    callerId: text("caller_id", { mode: "json" }).$type<TrunkCallerId>().notNull(),
    fraudLimits: text("fraud_limits", { mode: "json" }).$type<TrunkFraudLimits>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("trunks_account_name_uq").on(t.accountId, t.name)],
);

/**
 * Phone numbers (DIDs) in E.164. A number belongs to one account platform-wide (unique `number`);
 * its calls arrive through `trunkId` (any of the account's trunks when null) and go to `domainId`'s
 * application hook, or to `user` in that domain.
 */
export const numbers = sqliteTable(
  "numbers",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    number: text("number").notNull().unique(),
    trunkId: text("trunk_id").references(() => trunks.id, { onDelete: "set null" }),
    domainId: text("domain_id").references(() => domains.id, { onDelete: "set null" }),
    user: text("user"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("numbers_account_idx").on(t.accountId)],
);

export type Trunk = typeof trunks.$inferSelect;
export type PhoneNumber = typeof numbers.$inferSelect;
