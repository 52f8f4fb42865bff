export {
  validateEventNames,
  validateEventName,
  CALL_EVENT_TYPES,
  REGISTRATION_EVENT_TYPES,
  MAX_EVENT_NAMES,
} from "./event-names.js";
export type { EventNamesResult, CallEventType, RegistrationEventType } from "./event-names.js";
export { compileFilter, FILTER_VARIABLES, MAX_FILTER_LENGTH } from "./filter.js";
export type { CompiledFilter, CompileFilterResult, FilterEvaluation } from "./filter.js";
export { checkCallbackUrl, checkAddress, parseAllowlist, EMPTY_ALLOWLIST } from "./ssrf.js";
export type { Allowlist, AllowlistParse, AddressCheck, CallbackUrlCheck } from "./ssrf.js";
