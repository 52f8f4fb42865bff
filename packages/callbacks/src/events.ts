/**
 * The typed events the gateway publishes (SPEC §4). The JSON body of a delivery is
 * `{type, timestamp, data}` of one of these.
 *
 * `seq` is assigned by the publisher (the gateway), from the same per-call counter that numbers
 * the call's SIP trace (`call_messages.seq`), so deliveries and `GET /v1/calls/:id` line up. The
 * engine only checks it is a positive integer and sends one call's events to one callback in
 * `seq` order.
 */
import type { CallEventType, MediaEventType, RegistrationEventType, TrunkEventType } from "./event-names.js";

export type MessageDirection = "received" | "sent";
export type CallState = "initiated" | "ringing" | "answered" | "completed" | "failed";

export interface SipMessageInfo {
  direction: MessageDirection;
  /** Request method, or the CSeq method of a response. */
  method: string;
  /** Response status, or null for a request. */
  status: number | null;
  reason: string | null;
  requestUri: string | null;
  from: string;
  to: string;
  sipCallId: string;
  cseq: string;
  /** Lower-case header name → value (repeated headers joined with ", "). */
  headers: Record<string, string>;
}

export interface CallInfo {
  id: string;
  state: CallState;
  from: string;
  to: string;
  startedAt: string;
}

export interface SipMessageEventData {
  accountId: string;
  callId: string;
  seq: number;
  message: SipMessageInfo;
  call: CallInfo;
}

export interface CallEventData {
  accountId: string;
  callId: string;
  seq: number;
  /** `call.completed` and `call.failed` also carry how and when it ended (SPEC §5). */
  call: CallInfo & {
    answeredAt?: string | null;
    endedAt?: string;
    durationSec?: number | null;
    reason?: string | null;
    endStatus?: number | null;
    endReason?: string | null;
  };
}

export interface RegistrationInfo {
  aor: string;
  contact: string;
  transport: string;
  source: string;
  expiresAt: string;
}

export interface RegistrationEventData {
  accountId: string;
  registration: RegistrationInfo;
}

/** `sip.INVITE`, `sip.BYE`, ... for requests; `sip.180`, `sip.486`, ... for responses. */
export type SipEventType = `sip.${string}`;

export interface SipMessageEvent {
  type: SipEventType;
  /** ISO 8601 time the gateway saw or sent the message. */
  timestamp: string;
  data: SipMessageEventData;
}

export interface CallLifecycleEvent {
  type: CallEventType;
  timestamp: string;
  data: CallEventData;
}

export interface RegistrationEvent {
  type: RegistrationEventType;
  timestamp: string;
  data: RegistrationEventData;
}

/** What a media event says about one leg's RTP (SPEC §4). */
export interface MediaInfo {
  legId: string;
  /** `received`: RTP from the leg to the gateway; `sent`: from the gateway to the leg. */
  direction: MessageDirection;
  /** `PCMU`, `opus`, ... */
  codec: string;
  /** The leg's RTP address (where its packets come from and go to), when known. */
  source: { address: string; port: number } | null;
  /** `media.timeout`: how long the leg was silent. */
  silentMs?: number;
}

export interface MediaEventData {
  accountId: string;
  callId: string;
  seq: number;
  media: MediaInfo;
  call: CallInfo;
}

export interface MediaEvent {
  type: MediaEventType;
  timestamp: string;
  data: MediaEventData;
}

/** A digit one leg sent (SPEC §4 `call.dtmf`), reported once however many packets carried it. */
export interface DtmfInfo {
  legId: string;
  /** `0`–`9`, `*`, `#`, `A`–`D`. */
  digit: string;
  /** As the sender gave it, or null when it gave none. */
  durationMs: number | null;
  /** How it was sent: SIP INFO (`application/dtmf-relay` or `application/dtmf`). */
  method: "info";
}

export interface DtmfEvent {
  type: "call.dtmf";
  timestamp: string;
  data: { accountId: string; callId: string; seq: number; dtmf: DtmfInfo; call: CallInfo };
}

/** One outbound target of a trunk, as configured on it. */
export interface TrunkTargetInfo {
  host: string;
  port: number;
  transport: "udp" | "tcp" | "tls";
}

/** What `trunk.up` / `trunk.down` say about one target of a trunk (OPTIONS pings, RFC 3261 §11). */
export interface TrunkHealthInfo {
  id: string;
  name: string;
  target: TrunkTargetInfo;
  state: "up" | "down";
  /** ISO 8601 time the target entered this state. */
  since: string;
  /** What the last failed ping got (`timeout`, `503 Service Unavailable`, a transport error), or null. */
  lastError: string | null;
}

export interface TrunkEventData {
  accountId: string;
  trunk: TrunkHealthInfo;
}

export interface TrunkEvent {
  type: TrunkEventType;
  timestamp: string;
  data: TrunkEventData;
}

export type HooklineEvent =
  SipMessageEvent | CallLifecycleEvent | RegistrationEvent | MediaEvent | DtmfEvent | TrunkEvent;

/** The `sip.<x>` type of a SIP message: the method for a request, the code for a response. */
export function sipEventType(message: Pick<SipMessageInfo, "method" | "status">): SipEventType {
  return message.status === null ? `sip.${message.method}` : `sip.${message.status}`;
}

export function eventCallId(event: HooklineEvent): string | null {
  return "callId" in event.data ? event.data.callId : null;
}

export function eventSeq(event: HooklineEvent): number | null {
  return "seq" in event.data ? event.data.seq : null;
}
