import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** What a Hookline process runs (SPEC §2: each part can run as its own process). */
export type NodeRole = "gateway" | "console" | "delivery";

/**
 * One Hookline process of the cluster, announced by itself: written at start and on every
 * heartbeat. A node whose heartbeat is more than three of its own intervals old is lost
 * (../cluster-nodes.ts); one survivor then claims it (`lost_at`) and ends its calls.
 */
export const nodes = sqliteTable("nodes", {
  /** HOOKLINE_NODE_ID: stable across restarts, so a restarted node finds its own leftovers. */
  id: text("id").primaryKey(),
  /** The roles it runs, comma-separated in a fixed order: `gateway,console,delivery`. */
  roles: text("roles").notNull(),
  /** Where its SIP (UDP/TCP) and HTTP ports answer, `host:port`; null without that role. */
  sipAddress: text("sip_address"),
  httpAddress: text("http_address"),
  /** Hookline's version as the node's package.json says. */
  version: text("version").notNull(),
  /** Random per process start: tells a twin with the same id from the node's own past. */
  instance: text("instance").notNull(),
  startedAt: integer("started_at").notNull(),
  heartbeatAt: integer("heartbeat_at").notNull(),
  /** The node's own heartbeat interval: lost is judged by its interval, not the reader's. */
  heartbeatMs: integer("heartbeat_ms").notNull(),
  /** Set once by the survivor that claimed the lost node; cleared by the node's next heartbeat. */
  lostAt: integer("lost_at"),
});

export type ClusterNode = typeof nodes.$inferSelect;
