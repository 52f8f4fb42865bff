/**
 * What the trunk routing core (inbound from carriers, outbound through trunks; SPEC §3, §5) needs
 * from the trunk guards: target health (OPTIONS pings) and toll-fraud admission. Types only, plus
 * the permissive defaults used when no guard is wired in. Both are injected into the outbound
 * path; the guards live in `health*.ts` and `fraud-guard*.ts` beside this file.
 */

/** One outbound target of a trunk, as stored on the trunk. */
export interface TrunkTarget {
  host: string;
  port: number;
  transport: "udp" | "tcp" | "tls";
  /** Lower is tried first; ties keep their stored order. */
  priority: number;
}

/** Health of outbound targets: a target reported down is skipped while it is down. */
export interface TrunkHealth {
  isTargetUp(trunkId: string, target: TrunkTarget): boolean;
}

export interface AdmitOutboundRequest {
  accountId: string;
  trunkId: string;
  /** The E.164 number (or the Request-URI user) being called. */
  destination: string;
}

/** A 503 may say when to retry (`Retry-After`, RFC 3261 §20.33). */
export type AdmitOutboundResult =
  { ok: true } | { ok: false; status: 403 | 503; reason: string; retryAfterSec?: number };

export interface OutboundCallStarted {
  accountId: string;
  trunkId: string;
  /**
   * One trunk leg: the call's id and the leg's number (`call_x#2`). A call may have several (an
   * API call's first party and its dial, a list of trunk targets): each is counted on its own trunk.
   */
  callId: string;
  destination: string;
}

export interface OutboundCallEnded extends OutboundCallStarted {
  /** Seconds from answer to hang-up; 0 when never answered. */
  durationSec: number;
}

/**
 * Toll-fraud guard (per account and per trunk). `admitOutbound` is asked once before the first
 * INVITE goes to the trunk; `onCallStarted` follows an admitted call as its first INVITE leaves
 * (so a ringing call counts toward concurrency), and every started call gets exactly one
 * `onCallEnded`, answered or not.
 */
export interface TrunkAdmission {
  admitOutbound(request: AdmitOutboundRequest): AdmitOutboundResult;
  onCallStarted(call: OutboundCallStarted): void;
  onCallEnded(call: OutboundCallEnded): void;
}

export const alwaysUp: TrunkHealth = { isTargetUp: () => true };

export const admitAll: TrunkAdmission = {
  admitOutbound: () => ({ ok: true }),
  onCallStarted: () => undefined,
  onCallEnded: () => undefined,
};
