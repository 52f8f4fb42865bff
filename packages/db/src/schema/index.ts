export { accounts, apiKeys, consoleUsers, consoleSessions, NO_FRAUD_LIMITS } from "./accounts.js";
export type { Account, ApiKey, ConsoleUser, ConsoleSession } from "./accounts.js";
export { domains, credentials, registrations } from "./sip.js";
export type { Domain, Credential, Registration, SipTransport } from "./sip.js";
export { calls, callLegs, callMessages, callHooks } from "./calls.js";
export type {
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
} from "./calls.js";
export { callbacks, callbacksVersion } from "./callbacks.js";
export type { Callback, CallbackSource } from "./callbacks.js";
// delivery.ts belongs to packages/callbacks' owner (outbox, deliveries, attempts); re-exported whole
// so its tables join the schema (and `Database`) without touching this file.
export * from "./delivery.js";
export { writeProbe } from "./write-probe.js";
export { trunks, numbers } from "./trunks.js";
export type {
  Trunk,
  PhoneNumber,
  TrunkTargetRow,
  TrunkNumberFormat,
  TrunkFraudLimits,
  TrunkCallerId,
} from "./trunks.js";
export { nodes } from "./nodes.js";
export type { ClusterNode, NodeRole } from "./nodes.js";
