// PostgreSQL dialect of ../schema/trunks.ts (SPEC §3 trunks and numbers).
import { boolean, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import type { TrunkCallerId, TrunkFraudLimits, TrunkNumberFormat, TrunkTargetRow } from "../schema/trunks.js";
import { accounts, ms } from "./accounts.js";
import { domains } from "./sip.js";

export const trunks = pgTable(
  "trunks",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    isDefault: boolean("is_default").notNull().default(false),
    outboundTargets: jsonb("outbound_targets").$type<TrunkTargetRow[]>().notNull(),
    outboundUsername: text("outbound_username"),
    outboundPasswordSealed: text("outbound_password_sealed"),
    inboundAddresses: jsonb("inbound_addresses").$type<string[]>().notNull(),
    inboundUsername: text("inbound_username"),
    inboundPasswordSealed: text("inbound_password_sealed"),
    numberFormat: jsonb("number_format").$type<TrunkNumberFormat>().notNull(),
    codecs: jsonb("codecs").$type<string[]>().notNull(),
    callerId: jsonb("caller_id").$type<TrunkCallerId>().notNull(),
    fraudLimits: jsonb("fraud_limits").$type<TrunkFraudLimits>().notNull(),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [uniqueIndex("trunks_account_name_uq").on(t.accountId, t.name)],
);

export const numbers = pgTable(
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
    createdAt: ms("created_at").notNull(),
  },
  (t) => [index("numbers_account_idx").on(t.accountId)],
);
