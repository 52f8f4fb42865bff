export type { SipHeader, SipMessage, SipRequest, SipResponse } from "./message/types.js";

// Injected time (SPEC §1: no setTimeout of sip-core's own). RFC 3261 §17.1.1.1 T1/T2/T4.
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

// Messages: parse, frame, serialize (RFC 3261 §7, §18.3; RFC 7118 §5 for WebSocket).
/** Parses one datagram / WebSocket message; never throws (RFC 3261 §7, §18.3; RFC 4475 §3.1). */
export { parseMessage } from "./message/parse.js";
export type { ParseMessageResult } from "./message/parse.js";
/** Frames messages on a TCP/TLS stream by Content-Length, skipping CRLF keep-alives (RFC 3261 §18.3, RFC 5626 §3.5.1). */
export { StreamFramer } from "./message/framer.js";
/** Serializes with a correct Content-Length (RFC 3261 §7, §20.14). */
export { serializeMessage, serializeMessageToString } from "./message/serialize.js";
/** Typed parse errors with stable `SIP_ERR_*` codes and the partial message needed to answer 400. */
export { SipParseError } from "./message/errors.js";
/** A flat copy of a string sliced from a parsed message, for what outlives the message. */
export { ownString } from "./message/own-string.js";
export type { PartialMessage, SipParseErrorCode, SipResult } from "./message/errors.js";
export { DEFAULT_LIMITS } from "./message/limits.js";
/** To, From, CSeq, Call-ID and Via must be in every request (RFC 3261 §8.1.1); 400 otherwise. */
export { MANDATORY_REQUEST_HEADERS, missingMandatoryHeader } from "./message/mandatory-headers.js";
export type { ParseLimits, ParseOptions } from "./message/limits.js";

// Headers: names, compact forms, multi-value splitting (RFC 3261 §7.3), typed values (§20).
/** Canonical keys for header names and compact forms (RFC 3261 §7.3.3). */
export { COMPACT_FORMS, headerDisplayName, headerKey } from "./headers/header-names.js";
/** Header lookup and editing; comma-split values except for auth/date headers (RFC 3261 §7.3.1). */
export {
  appendHeader,
  createHeader,
  getHeader,
  getHeaderLines,
  getHeaders,
  hasHeader,
  prependHeader,
  removeHeader,
  setHeader,
} from "./headers/header-list.js";
/** Cached typed accessors: Via (§20.42), From/To (§20.20, §20.39), CSeq (§20.16), Contact (§20.10), ... */
export {
  getAuthValues,
  getCallId,
  getContacts,
  getContentLength,
  getContentType,
  getCSeq,
  getExpires,
  getFrom,
  getMaxForwards,
  getOptionTags,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  parseHeaderLine,
} from "./headers/typed.js";
/** Credential header values replaced by `[redacted]` wherever a message leaves the stack (SPEC §4). */
export { CREDENTIAL_HEADERS, REDACTED, redactHeaders, redactHeaderValue } from "./headers/redact.js";
/** Via parsing incl. received/rport (RFC 3261 §18.2.1, RFC 3581, RFC 5118 §4.5). */
export { parseVia, serializeVia } from "./headers/via.js";
export type { Via } from "./headers/via.js";
/** name-addr / addr-spec with params; Contact `*`, expires, q (RFC 3261 §20.10, §20.20). */
export { parseContact, parseNameAddr, serializeNameAddr } from "./headers/name-addr.js";
export type { Contact, NameAddr } from "./headers/name-addr.js";
/** Scalar and small structured headers (RFC 3261 §20). */
export {
  parseCallId,
  parseContentLength,
  parseContentType,
  parseCSeq,
  parseDate,
  parseDeltaSeconds,
  parseMaxForwards,
  parseOptionTags,
  parseRetryAfter,
  parseWarning,
} from "./headers/values.js";
export type { ContentType, CSeq, Warning } from "./headers/values.js";
/** Generic auth header values: scheme + auth-params (RFC 3261 §20.7, §20.44). */
export { parseAuthValue, serializeAuthValue } from "./headers/auth.js";
export type { AuthValue } from "./headers/auth.js";
/** Quoted strings, params, comma splitting (RFC 3261 §25.1). */
export { quote, splitCommas, unquote } from "./headers/scan.js";
export type { Params } from "./headers/scan.js";

// URIs: sip, sips (RFC 3261 §19.1), tel (RFC 3966), other absolute URIs.
/** Parse/serialize with %-escaping (RFC 3261 §19.1.2, §25.1). */
export { isIpv4, isIpv6Reference, parseSipUriString, parseUri, serializeUri } from "./uri/uri.js";
export type { HostType, OtherUri, SipUri, TelUri, Uri } from "./uri/uri.js";
/** URI equivalence (RFC 3261 §19.1.4). */
export { uriEquals } from "./uri/compare.js";

// Builders (RFC 3261 §8.2.6, §9.1, §17.1.1.3) and identifiers (§8.1.1.4, §8.1.1.7, §19.3).
/** Response per §8.2.6, CANCEL per §9.1, ACK for a non-2xx per §17.1.1.3, generic requests. */
export { createAckForNonSuccess, createCancel, createRequest, createResponse } from "./builders/builders.js";
export type { CreateRequestInput, CreateResponseOptions, HeaderInput } from "./builders/builders.js";
/** Random branch (`z9hG4bK`...), tag and Call-ID from crypto randomness. */
export { BRANCH_MAGIC_COOKIE, generateBranch, generateCallId, generateTag } from "./builders/ids.js";
/** Default reason phrases (RFC 3261 §21). */
export { REASON_PHRASES, reasonPhrase } from "./builders/reason-phrases.js";

// Transactions: RFC 3261 §17 with RFC 6026 (Accepted state, Timers L and M).
/** Owns the transaction maps; routes requests (§17.2.3) and responses (§17.1.3), incl. the RFC 2543 fallback. */
export { TransactionLayer } from "./transaction/transaction-layer.js";
export { RetainedMessage } from "./transaction/retained-message.js";
export { hasClock, WaitQueue } from "./transaction/wait-queue.js";
export type { ClockedTimers, Waiting } from "./transaction/wait-queue.js";
export type {
  ClientTransaction,
  IncomingRequestResult,
  IncomingResponseResult,
  ServerTransaction,
  TransactionLayerOptions,
} from "./transaction/transaction-layer.js";
/** INVITE client transaction: Timers A, B, D, M; ACK for non-2xx generated inside (§17.1.1, §17.1.1.3). */
export { InviteClientTransaction } from "./transaction/invite-client-transaction.js";
export type { ClientTransactionEvents, InviteClientState } from "./transaction/invite-client-transaction.js";
/** Non-INVITE client transaction: Timers E, F, K (§17.1.2). */
export { NonInviteClientTransaction } from "./transaction/non-invite-client-transaction.js";
export type { NonInviteClientState } from "./transaction/non-invite-client-transaction.js";
/** INVITE server transaction: 100 Trying, Timers G, H, I, L (§17.2.1). */
export { InviteServerTransaction } from "./transaction/invite-server-transaction.js";
export type {
  InviteServerOptions,
  InviteServerState,
  InviteServerTransactionEvents,
  ServerRequestOutcome,
} from "./transaction/invite-server-transaction.js";
/** Non-INVITE server transaction: Timer J (§17.2.2). */
export { NonInviteServerTransaction } from "./transaction/non-invite-server-transaction.js";
export type { NonInviteServerState } from "./transaction/non-invite-server-transaction.js";
export type { TransactionEvents } from "./transaction/transaction-base.js";
/** The transport a transaction sends through (§18); `reliable` disables retransmission (§17). */
export type { Transport } from "./transaction/transport.js";
/** Programming errors (`SIP_ERR_INVALID_STATE`, ...) and transport failures (`SIP_ERR_TRANSPORT`, §17.1.4, §17.2.4). */
export { InvalidStateError, TransportError } from "./transaction/errors.js";
export type { SipStateErrorCode } from "./transaction/errors.js";

// Dialogs: RFC 3261 §12.
/** Dialog state from 1xx/2xx (§12.1), in-dialog requests with loose/strict routing (§12.2.1.1), CSeq checks (§12.2.2). */
export { createUacDialog, createUasDialog, Dialog, TARGET_REFRESH_METHODS } from "./dialog/dialog.js";
export type {
  DialogOptions,
  DialogResult,
  DialogRole,
  DialogState,
  InDialogRequestOptions,
  InDialogRequestResult,
} from "./dialog/dialog.js";
/** Dialog ids: Call-ID + local tag + remote tag, from either side (§12). */
export { dialogIdOfIncomingRequest, dialogIdOfResponse, dialogKey } from "./dialog/dialog-id.js";
export type { DialogId } from "./dialog/dialog-id.js";
