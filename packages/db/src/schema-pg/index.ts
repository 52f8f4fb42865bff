/**
 * The PostgreSQL dialect of the schema (../schema is SQLite's, the default): the same tables,
 * columns, indexes and constraints, with jsonb for JSON, booleans, and ms timestamps as bigint.
 * Its migrations are in packages/db/drizzle-pg (drizzle-pg.config.ts); schema-pg.test.ts checks
 * that every SQLite table and column exists here too.
 */
export { accounts, apiKeys, consoleUsers, consoleSessions } from "./accounts.js";
export { domains, credentials, registrations } from "./sip.js";
export { calls, callLegs, callMessages, callHooks } from "./calls.js";
export { callbacks, callbacksVersion } from "./callbacks.js";
export { outboxEvents, deliveries, deliveryAttempts } from "./delivery.js";
export { trunks, numbers } from "./trunks.js";
export { writeProbe } from "./write-probe.js";
export { nodes } from "./nodes.js";
