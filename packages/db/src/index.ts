export { openDatabase, migrationsFolder } from "./open-database.js";
export type { Database, OpenDatabaseOptions, OpenedDatabase, Schema } from "./open-database.js";
export { newId } from "./ids.js";
export type { IdPrefix } from "./ids.js";
export {
  accounts,
  apiKeys,
  consoleUsers,
  domains,
  credentials,
  registrations,
  calls,
  callLegs,
  callMessages,
  callbacks,
} from "./schema/index.js";
export type {
  Account,
  ApiKey,
  ConsoleUser,
  Domain,
  Credential,
  Registration,
  SipTransport,
  Call,
  CallLeg,
  CallMessage,
  CallState,
  LegDirection,
  LegState,
  MessageDirection,
  Callback,
  CallbackSource,
} from "./schema/index.js";
