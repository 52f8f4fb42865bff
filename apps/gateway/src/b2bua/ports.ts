/**
 * What the B2BUA needs from the rest of the gateway (tenancy, registrar, auth, transports, media,
 * the application hook), and what it offers the code that steers a call (SPEC §5). Types only:
 * the B2BUA's files and the router all import from here, never from each other's modules.
 */
import type { HookKind } from "@hookline/db";
import type { Logger } from "@hookline/log";
import type {
  HeaderInput,
  SipRequest,
  SipResponse,
  Timers,
  TransactionLayer,
  Transport,
} from "@hookline/sip-core";
import type { TenantDomain } from "../tenancy/tenant-directory.js";
import type { Flow } from "../transport/types.js";
import type { CallRecorder } from "./call-recorder.js";
import type { LocalAddress, Leg } from "./leg.js";
import type { MediaPort } from "./media-port.js";

export type { TenantDomain };

export interface Binding {
  contact: string;
  /** Where requests for the contact are sent: its own flow, or the node holding it (`route`). */
  flow: Flow;
  /**
   * A contact held by another node of the cluster: its Path (RFC 3327 §5), sent as the Route of
   * requests to it (cluster/relay.ts); `flow` is that node.
   */
  route?: string | undefined;
  /** The contact is a browser (WebRTC media) whatever `flow` says: a relayed WebSocket contact. */
  webrtc?: boolean | undefined;
}

export type AuthResult = { ok: true; username: string } | { ok: false; response: SipResponse };

/** What the B2BUA needs from tenancy, registrar and auth. */
export interface CallDirectory {
  findDomain(name: string): TenantDomain | undefined;
  lookup(domain: TenantDomain, user: string): Binding[];
  /** Whether `user` exists in the domain (has credentials), registered or not. */
  userExists(domain: TenantDomain, user: string): boolean;
  authenticate(req: SipRequest, flow: Flow, domain: TenantDomain): Promise<AuthResult>;
}

/** How a finished dial went (SPEC §5 `call.dial-completed`). */
export type DialStatus = "answered" | "busy" | "no-answer" | "failed" | "canceled";

export interface DialOutcome {
  status: DialStatus;
  /** The final SIP status that decided it (200 when answered); null when none arrived. */
  sipStatus: number | null;
  reason: string | null;
  /** The target that answered. */
  answeredBy: string | null;
  /** Seconds from answer to hang-up, when answered. */
  durationSec: number | null;
  /** A refusal that may be retried later: `Retry-After` on the caller's 503 (RFC 3261 §20.33). */
  retryAfterSec?: number | undefined;
  /** What the call record's reason says when the dial ends the call (default: `status`). */
  endReason?: string | undefined;
}

/** One contact to ring, and the target (user name or URI) it was found from. */
export interface DialContact extends Binding {
  target: string;
  /** Digest credentials answering the contact's 401/407 once (a trunk's outbound credentials). */
  auth?: { username: string; password: string } | undefined;
  /** The trunk the contact is an outbound target of; recorded on the leg. */
  trunkId?: string | undefined;
}

export interface DialRequest {
  /** Rung group by group (`sequential` is a group per target); each group's contacts at once. */
  groups: DialContact[][];
  /** Per group: CANCEL after this long without an answer. */
  timeoutMs: number;
  /** The From URI toward the callee (default: the caller's). */
  callerId?: string | undefined;
  /** Extra headers (X- only) for the callee. */
  headers?: HeaderInput[] | undefined;
  /** Told once, at the 2xx that answers the dial, with the answering contact's `target`. */
  onAnswered?: ((target: string) => void) | undefined;
}

/**
 * A call as the router steers it: the handle the application's actions act on. `dial` resolves
 * when the dial failed, or once an answered call ended; the rest end the call (no-ops once ended).
 */
export interface CallControl {
  readonly id: string;
  readonly accountId: string;
  readonly domain: TenantDomain;
  readonly origin: "inbound" | "api";
  readonly ended: boolean;
  /** The log, its lines carrying the call's ids. */
  readonly log: Logger;
  dial(request: DialRequest): Promise<DialOutcome>;
  /** A final response to the caller (or BYE to an API call's first party). */
  reject(status: number, reason?: string, endReason?: string, headers?: HeaderInput[]): void;
  hangup(endReason?: string): void;
  /** The phase the call is in while the application is asked (`asking`) or a pause runs. */
  asking(): void;
  /** Waits `ms` (fake time in tests); settles early if the call ends. */
  pause(ms: number): Promise<void>;
  /** An application-hook request on the call's timeline (SPEC §5). */
  hook(entry: HookEntry): void;
}

export interface HookEntry {
  kind: HookKind;
  eventType: string;
  url: string;
  status: number | null;
  latencyMs: number;
  actions: unknown[] | null;
  error: string | null;
}

/** What a new call looks like to the router (SPEC §5 `call.incoming`'s data). */
export interface IncomingCall {
  from: string;
  to: string;
  requestUri: string;
  /** The called user, when the Request-URI is a user of the caller's domain. */
  user: string | undefined;
  /** `trunk`: the name of the trunk a carrier's call came through. */
  source: { transport: string; address: string; trunk?: string };
  /** The INVITE's X- headers, lower-case. */
  headers: Record<string, string>;
  codecs: string[];
  /** The caller asked to hide its identity (`Privacy: id` or `header`, RFC 3323 §4.2). */
  privacy?: boolean;
}

/**
 * What an INVITE from a carrier or PBX is (SPEC §3 trunks), decided before the caller's domain is
 * looked up: not a trunk's (a user's call), an answer that records nothing (a challenge, a refusal
 * of a source no trunk allows, an unknown number), or a call of the number's account.
 */
export type TrunkInboundDecision =
  | { kind: "not-trunk" }
  | { kind: "respond"; status: number; reason: string; headers?: HeaderInput[] }
  | { kind: "call"; domain: TenantDomain; trunk: string; number: string; user: string | undefined };

export interface InboundTrunks {
  classify(req: SipRequest, flow: Flow): TrunkInboundDecision;
}

/** Steers calls: the application hook (SPEC §5) or, without one, the default route. */
export interface CallRouter {
  route(call: CallControl, incoming: IncomingCall): Promise<void>;
}

export interface B2buaOptions {
  layer: TransactionLayer;
  directory: CallDirectory;
  recorder: CallRecorder;
  send(message: SipRequest | SipResponse, flow: Flow): Promise<void>;
  transportFor(flow: Flow): Transport;
  localAddress(flow: Flow): LocalAddress;
  /** Real time in the gateway, fake time in tests (sip-core's injected timers). */
  timers: Timers;
  /** No answer after this long: CANCEL the callee, 480 to the caller (the default route's dial). */
  ringTimeoutMs: number;
  t1Ms: number;
  /** Where SDP goes on its way between legs; pass-through when absent. */
  media?: MediaPort;
  /** Steers each new call; without one, every call takes the default route. */
  router?: CallRouter;
  /** Recognises carriers' and PBXs' INVITEs (SPEC §3); without it, every INVITE is a user's. */
  trunks?: InboundTrunks;
  /**
   * Called with a new call's INVITE before any of its events is published, so that callbacks it
   * registers (X-Hookline-Callback) see the whole call.
   */
  onNewCall?(call: { id: string; accountId: string }, invite: SipRequest): Promise<void>;
}

/** How a call ends: the caller's final status (if it never got a 2xx) and the recorded reason. */
export interface Ending {
  status?: number;
  reason?: string | undefined;
  /** What the call records as its end reason (`caller-hangup`, `cancelled`, `unknown-user`, ...). */
  endReason: string;
  /** The leg that ended it (its BYE, its connection): it gets no BYE of ours. */
  by?: Leg | undefined;
  headers?: HeaderInput[];
}

/** A call the platform starts (SPEC §5 `POST /v1/calls`): its first party, then what runs. */
export interface OriginateInput {
  domain: TenantDomain;
  from: string;
  to: string;
  contacts: DialContact[];
  timeoutMs: number;
  /**
   * Rings the first party itself instead of `contacts` (a trunk's targets with failover and caller
   * id, SPEC §3): `first.dial` settles at the answer; `ended` settles once the call has ended.
   */
  dial?: ((first: CallControl, ended: Promise<void>) => Promise<DialOutcome>) | undefined;
  /** What to do once the first party answered (its actions, or asking the application). */
  run(call: CallControl): Promise<void>;
}
