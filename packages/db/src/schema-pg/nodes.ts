// PostgreSQL dialect of ../schema/nodes.ts: the cluster's nodes and their heartbeats.
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { ms } from "./accounts.js";

export const nodes = pgTable("nodes", {
  id: text("id").primaryKey(),
  roles: text("roles").notNull(),
  sipAddress: text("sip_address"),
  httpAddress: text("http_address"),
  version: text("version").notNull(),
  instance: text("instance").notNull(),
  startedAt: ms("started_at").notNull(),
  heartbeatAt: ms("heartbeat_at").notNull(),
  heartbeatMs: integer("heartbeat_ms").notNull(),
  lostAt: ms("lost_at"),
});
