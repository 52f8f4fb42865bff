export { openDatabase, migrationsFolder } from "./open-database.js";
export type { Database, OpenDatabaseOptions, OpenedDatabase, Schema } from "./open-database.js";
export { newId, orderedId } from "./ids.js";
export { isForeignKeyViolation, isUniqueViolation } from "./errors.js";
export { fillDatabase } from "./testing.js";
export { WriteHealth, writeFailureKind, writeHealthOf } from "./write-health.js";
export type { WriteHealthOptions, WriteHealthStatus, WriteState } from "./write-health.js";
export { createSipDirectory } from "./sip-directory.js";
export { outboundTrunkMinutesSince, TrunkMinutesSeed } from "./trunk-minutes.js";
export { ClusterUsage } from "./cluster-usage.js";
export type { ClusterUsageOptions, OtherNodesFigures } from "./cluster-usage.js";
export type { NewBinding, SipDirectory } from "./sip-directory.js";
export { createCallStore, TRACE_BODY_LIMIT, traceBody } from "./call-store.js";
export { listClusterNodes, LOST_AFTER_HEARTBEATS, NODE_ROLES, nodeState } from "./cluster-nodes.js";
export type { ClusterNodeView, NodeState } from "./cluster-nodes.js";
export { startModuleWorker } from "./module-worker.js";
export type { CallStore, CallStoreOptions, SqliteCallStore } from "./call-store.js";
export type { IdPrefix } from "./ids.js";
export {
  accounts,
  NO_FRAUD_LIMITS,
  apiKeys,
  consoleUsers,
  consoleSessions,
  domains,
  credentials,
  registrations,
  calls,
  callLegs,
  callMessages,
  callHooks,
  callbacks,
  outboxEvents,
  deliveries,
  deliveryAttempts,
  trunks,
  numbers,
  nodes,
} from "./schema/index.js";
export type {
  Account,
  ApiKey,
  ConsoleUser,
  ConsoleSession,
  Domain,
  Credential,
  Registration,
  SipTransport,
  Call,
  CallLeg,
  CallMessage,
  CallHook,
  CallOrigin,
  CallState,
  HookKind,
  LegDirection,
  LegState,
  MessageDirection,
  Callback,
  CallbackSource,
  OutboxEvent,
  Delivery,
  DeliveryAttempt,
  DeliveryStatus,
  Trunk,
  PhoneNumber,
  TrunkTargetRow,
  TrunkNumberFormat,
  TrunkFraudLimits,
  TrunkCallerId,
  ClusterNode,
  NodeRole,
} from "./schema/index.js";
// Query operators, re-exported so callers build portable queries with the same drizzle instance
// the schema was defined with (no second copy of drizzle-orm, no raw SQL outside packages/db).
export {
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNull,
  like,
  lt,
  lte,
  max,
  min,
  ne,
  or,
  sql,
} from "drizzle-orm";
export type { Column, SQL } from "drizzle-orm";
export { first, pgStore, sqliteStore } from "./store.js";
export type { Dialect, Store, StoreDb } from "./store.js";
