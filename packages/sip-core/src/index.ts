export type { SipHeader, SipMessage, SipRequest, SipResponse } from "./message/types.js";

// Injected time (issue 3: no setTimeout of sip-core's own). RFC 3261 §17.1.1.1 T1/T2/T4.
export { DEFAULT_TIMER_CONFIG, FakeTimers, resolveTimerConfig } from "./timers.js";
export type { TimerConfig, TimerHandle, Timers } from "./timers.js";

// Digest authentication: RFC 3261 §22, RFC 7616, RFC 8760 (SHA-256 first, then MD5).
/** Server side: challenges with self-validating nonces, verification from stored HA1 (RFC 7616 §3.3–§3.4). */
export { DigestServer } from "./auth/digest-server.js";
export type {
  ChallengeOptions,
  DigestFailureCode,
  DigestServerOptions,
  DigestVerifyResult,
  VerifyOptions,
} from "./auth/digest-server.js";
/** Client side: Authorization/Proxy-Authorization for a challenge (RFC 3261 §22.2–§22.3, RFC 7616 §3.4). */
export { createAuthorization, formatNonceCount, selectDigestChallenge } from "./auth/digest-client.js";
export type { DigestClientErrorCode, DigestClientOptions, DigestClientResult } from "./auth/digest-client.js";
/** HA1 = H(username:realm:password) and the request-digest (RFC 7616 §3.4.1–§3.4.4). */
export {
  computeDigestResponse,
  computeHa1,
  computeUserhash,
  digestHash,
  normalizeAlgorithm,
} from "./auth/digest-hash.js";
export type { DigestAlgorithm, DigestResponseInput } from "./auth/digest-hash.js";
/** WWW-/Proxy-Authenticate and Authorization parameter lists (RFC 3261 §25.1, RFC 7235 §2.1). */
export {
  parseDigestChallenge,
  parseDigestCredentials,
  serializeDigestChallenge,
  serializeDigestCredentials,
} from "./auth/digest-headers.js";
export type { DigestChallenge, DigestCredentials } from "./auth/digest-headers.js";
export type { DigestParseError, DigestParseErrorCode, DigestParseResult } from "./auth/digest-params.js";
