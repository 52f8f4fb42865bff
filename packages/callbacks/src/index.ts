export {
  validateEventNames,
  validateEventName,
  CALL_EVENT_TYPES,
  REGISTRATION_EVENT_TYPES,
  MEDIA_EVENT_TYPES,
  TRUNK_EVENT_TYPES,
  MAX_EVENT_NAMES,
} from "./event-names.js";
export type {
  EventNamesResult,
  CallEventType,
  RegistrationEventType,
  MediaEventType,
  TrunkEventType,
} from "./event-names.js";
export { compileFilter, FILTER_VARIABLES, MAX_FILTER_LENGTH } from "./filter.js";
export type { CompiledFilter, CompileFilterResult, FilterEvaluation } from "./filter.js";
export {
  checkCallbackUrl,
  checkAddress,
  defaultPort,
  normalizeHost,
  parseAllowlist,
  EMPTY_ALLOWLIST,
} from "./ssrf.js";
export type { Allowlist, AllowlistParse, AddressCheck, CallbackUrlCheck } from "./ssrf.js";
export type {
  HooklineEvent,
  SipMessageEvent,
  CallLifecycleEvent,
  RegistrationEvent,
  MediaEvent,
  MediaEventData,
  DtmfEvent,
  DtmfInfo,
  MediaInfo,
  TrunkEvent,
  TrunkEventData,
  TrunkHealthInfo,
  TrunkTargetInfo,
  SipMessageEventData,
  CallEventData,
  RegistrationEventData,
  SipMessageInfo,
  CallInfo,
  RegistrationInfo,
  SipEventType,
  MessageDirection,
  CallState,
} from "./events.js";
export { sipEventType } from "./events.js";
export { TrunkEventSchema } from "./trunk-event-schema.js";
export { EventBus } from "./event-bus.js";
export type { EventBusEvents } from "./event-bus.js";
export { TypedEmitter } from "./typed-emitter.js";
export type { EventMap } from "./typed-emitter.js";
export type { Logger } from "./logger.js";
export { callbacksLog, silentLogger } from "./logger.js";
export { parseCallbackHeader } from "./callback-header.js";
export type { CallbackHeaderResult } from "./callback-header.js";
export { nameCovers, namesCover } from "./matcher.js";
export { checkCallbackFields, createCallback } from "./create-callback.js";
export type {
  CallbackField,
  CallbackFields,
  CheckCallbackFieldsResult,
  CreateCallbackInput,
  CreateCallbackResult,
} from "./create-callback.js";
export { newWebhookSecret, sign, webhookHeaders } from "./signing.js";
export { RetryPolicy, DEFAULT_RETRY_SCHEDULE_MS, parseRetryAfter } from "./retry-policy.js";
export { CircuitBreaker } from "./circuit-breaker.js";
export type { BreakerState, CircuitBreakerOptions } from "./circuit-breaker.js";
export { createCallbackEngine, InvalidEventError } from "./engine.js";
export { createSqliteStore } from "./store/sqlite-store.js";
export { createPgStore, defaultNodeId } from "./store/pg-store.js";
export type { PgStoreOptions } from "./store/pg-store.js";
export type { CallbackStore } from "./store/callback-store.js";
export type { CallbackEngine, CallbackEngineOptions, CallbackEngineStats, AcceptResult } from "./engine.js";
export type { AttemptInfo, DispatcherLimits } from "./dispatcher.js";
export {
  listDeliveries,
  getDelivery,
  replayDelivery,
  replayDeadLetters,
  enqueueDelivery,
  DELIVERY_STATUSES,
} from "./delivery-store.js";
export type {
  DeliveryRow,
  DeliveryAttemptRow,
  DeliveryDetail,
  DeliveryStatusName,
  ListDeliveriesQuery,
  ReplayResult,
} from "./delivery-store.js";
export { SsrfBlockedError } from "./http/guarded-connector.js";
export type { Resolver } from "./http/guarded-connector.js";
export { HttpClient } from "./http/client.js";
export type { HttpClientOptions, HttpResult } from "./http/client.js";
export {
  ActionSchema,
  ApplicationAnswerSchema,
  CallIncomingSchema,
  DialCompletedSchema,
  parseApplicationAnswer,
} from "./application/actions.js";
export type {
  Action,
  DialAction,
  DialTarget,
  ApplicationRequest,
  ParsedAnswer,
} from "./application/actions.js";
