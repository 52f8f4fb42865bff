/**
 * Calls out through a trunk (SPEC §3 trunks, §5 `dial`): a `{number, trunk?}` target (the account's
 * default trunk when none is named), a `sip:` URI on one of a trunk's target hosts, or a user
 * dialling a number when the domain has no application. The INVITE goes to the trunk's targets in
 * priority order, skipping those the health guard reports down, and fails over to the next on 503
 * or a timeout (Timer B, RFC 3261 §17.1.1.2); the carrier's 401/407 is answered once with the
 * trunk's credentials (b2bua/challenge-answer.ts). The fraud guard admits the call first and hears
 * of its start and end. Caller id: From and P-Asserted-Identity (RFC 3325) carry the caller's
 * number; a caller asking for privacy gets an anonymous From and `Privacy: id` (RFC 3323).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { DialTarget } from "@hookline/callbacks";
import { parseUri, type HeaderInput } from "@hookline/sip-core";
import type { CallControl, DialContact, DialOutcome } from "../b2bua/ports.js";
import type { TenantDomain } from "../tenancy/tenant-directory.js";
import { escapeUser, fromE164, looksLikePhoneNumber, toE164 } from "./number-format.js";
import {
  admitAll,
  alwaysUp,
  type OutboundCallStarted,
  type TrunkAdmission,
  type TrunkHealth,
  type TrunkTarget,
} from "./ports.js";
import type { TrunkDirectory, TrunkRecord } from "./trunk-directory.js";

/** A trunk and what to call on it: an E.164 number, or the user part of a `sip:` URI on its host. */
export interface TrunkRoute {
  trunk: TrunkRecord;
  destination: string;
}

export type TrunkResolution =
  { ok: true; route: TrunkRoute } | { ok: false; status: 404; reason: string } | undefined;

/** Who is calling, as the caller id rules need it. */
export interface TrunkCaller {
  /** The caller's From URI (its user may be a number). */
  from: string;
  /** An explicit caller id (the dial's `callerId`). */
  callerId?: string | undefined;
  /** The caller's own number (a number assigned to the calling user), when known. */
  number?: string | undefined;
  /** The caller asked for privacy (`Privacy: id`, RFC 3323). */
  privacy: boolean;
}

/** The fraud guard's view of one admitted trunk target in a dial of several (`admitBeside`). */
export interface TrunkTicket {
  started(): void;
  answered(): void;
  ended(durationSec: number): void;
}

export interface TrunkDialOptions {
  timeoutMs: number;
  caller: TrunkCaller;
  headers?: HeaderInput[] | undefined;
  /**
   * An API call's first party (SPEC §5 `POST /v1/calls`), whose dial settles at the answer: the
   * call lasts until this settles, and only then does the fraud guard hear of its end.
   */
  callEnded?: Promise<void> | undefined;
}

export interface TrunkCallsOptions {
  directory: TrunkDirectory;
  health?: TrunkHealth;
  admission?: TrunkAdmission;
  /**
   * Told at the 2xx of a trunk call, so the fraud guard counts its minutes from then while it is
   * in progress (FraudGuard.onCallAnswered; not part of the admission port).
   */
  onCallAnswered?: (call: { callId: string }) => void;
  /** Host name → IP (A/AAAA; RFC 3263 SRV/NAPTR are not followed). Default node:dns lookup. */
  resolveHost?: (host: string) => Promise<string | undefined>;
}

const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * The number the fraud guard judges: a `sip:` URI's user (`0019005550100`, `99#+1900...`) read by
 * the trunk's number rules, so that a deny-list cannot be passed by writing the number otherwise.
 */
const guardedNumber = ({ trunk, destination }: TrunkRoute) =>
  E164.test(destination) ? destination : (toE164(destination, trunk.numberFormat) ?? destination);

export class TrunkCalls {
  /** Numbers each trunk leg, so that the fraud guard counts the legs of one call apart. */
  #legs = 0;
  readonly #o: TrunkCallsOptions;
  readonly #health: TrunkHealth;
  readonly #admission: TrunkAdmission;

  constructor(options: TrunkCallsOptions) {
    this.#o = options;
    this.#health = options.health ?? alwaysUp;
    this.#admission = options.admission ?? admitAll;
  }

  /** The trunk route a dial target names; undefined when the target is no trunk's. */
  resolve(accountId: string, target: DialTarget): TrunkResolution {
    const d = this.#o.directory;
    if (typeof target !== "string") {
      const trunk = target.trunk ? d.byName(accountId, target.trunk) : d.defaultTrunk(accountId);
      if (!trunk)
        return {
          ok: false,
          status: 404,
          reason: target.trunk ? `no trunk ${target.trunk}` : "no default trunk",
        };
      return { ok: true, route: { trunk, destination: target.number } };
    }
    if (!/^sips?:/i.test(target)) return undefined;
    const uri = parseUri(target);
    if (!uri.ok || uri.value.kind !== "sip" || !uri.value.user) return undefined;
    const trunk = d.byTargetHost(accountId, uri.value.host);
    return trunk ? { ok: true, route: { trunk, destination: uri.value.user } } : undefined;
  }

  /** A number a user dialled with no application (SPEC §5 default route): the default trunk's. */
  defaultRoute(accountId: string, user: string): TrunkRoute | undefined {
    if (!looksLikePhoneNumber(user)) return undefined;
    const trunk = this.#o.directory.defaultTrunk(accountId);
    const number = trunk && toE164(user, trunk.numberFormat);
    return trunk && number ? { trunk, destination: number } : undefined;
  }

  /**
   * Who calls, as the caller id rules see it: `from`, the dial's `callerId`, and the number
   * assigned to `from`'s user when it is a user of the call's domain (port or not in the URI).
   */
  caller(domain: TenantDomain, from: string, callerId: string | undefined, privacy: boolean): TrunkCaller {
    const uri = parseUri(from);
    const sip = uri.ok && uri.value.kind === "sip" ? uri.value : undefined;
    const own = sip?.user && sip.host.toLowerCase() === domain.name ? sip.user : undefined;
    const number = own ? this.#o.directory.numberOfUser(domain.domainId, own) : undefined;
    return { from, callerId, number, privacy };
  }

  /** Dials the route: admission, then the up targets in order with failover on 503 and timeout. */
  async dial(call: CallControl, route: TrunkRoute, o: TrunkDialOptions): Promise<DialOutcome> {
    const { trunk } = route;
    const refused = this.#refusal(call, route);
    if (refused) return refused;
    const contacts = await this.contacts(route);
    if (contacts.length === 0) return failure(503, `no outbound target of trunk ${trunk.name} is up`);
    const started = this.#leg(call, route);
    this.#admission.onCallStarted(started);
    let last: DialOutcome = failure(503, "Service Unavailable");
    try {
      for (const contact of contacts) {
        if (call.ended) break;
        const caller = callerIdentity(trunk, contact, o.caller);
        last = await call.dial({
          groups: [[contact]],
          timeoutMs: o.timeoutMs,
          callerId: caller.from,
          headers: [...caller.headers, ...(o.headers ?? [])],
          onAnswered: () => this.#o.onCallAnswered?.({ callId: started.callId }),
        });
        // RFC 3261 §16.7-like: only an overloaded (503) or silent (408, Timer B) target fails over.
        if (last.sipStatus !== 503 && last.sipStatus !== 408) break;
        call.log.info(
          { trunk: trunk.id, target: contact.contact, status: last.sipStatus },
          "trunk target failed over",
        );
      }
    } finally {
      if (last.status === "answered" && o.callEnded) {
        const answeredAt = Date.now();
        void o.callEnded.then(() =>
          this.#admission.onCallEnded({
            ...started,
            durationSec: Math.round((Date.now() - answeredAt) / 1000),
          }),
        );
      } else this.#admission.onCallEnded({ ...started, durationSec: last.durationSec ?? 0 });
    }
    return last;
  }

  /**
   * A trunk's target rung beside other targets in one dial (no failover): admitted like a trunk
   * dial, so a list of targets is no way around the fraud guard. `started` once its INVITE is to
   * go, `answered` at its 2xx, `ended` with its seconds once the dial is over.
   */
  admitBeside(
    call: CallControl,
    route: TrunkRoute,
  ): { ok: false; outcome: DialOutcome } | { ok: true; ticket: TrunkTicket } {
    const refused = this.#refusal(call, route);
    if (refused) return { ok: false, outcome: refused };
    const started = this.#leg(call, route);
    return {
      ok: true,
      ticket: {
        started: () => this.#admission.onCallStarted(started),
        answered: () => this.#o.onCallAnswered?.({ callId: started.callId }),
        ended: (durationSec) => this.#admission.onCallEnded({ ...started, durationSec }),
      },
    };
  }

  /** The fraud guard's refusal as a dial outcome, or undefined when the call may go out. */
  /** A trunk leg as the fraud guard counts it: its own key (call id and leg number). */
  #leg(call: CallControl, route: TrunkRoute): OutboundCallStarted {
    return {
      accountId: call.accountId,
      trunkId: route.trunk.id,
      callId: `${call.id}#${++this.#legs}`,
      destination: guardedNumber(route),
    };
  }

  #refusal(call: CallControl, route: TrunkRoute): DialOutcome | undefined {
    const admitted = this.#admission.admitOutbound({
      accountId: call.accountId,
      trunkId: route.trunk.id,
      destination: guardedNumber(route),
    });
    if (admitted.ok) return undefined;
    call.log.warn(
      { trunk: route.trunk.id, status: admitted.status, reason: admitted.reason },
      "trunk call refused",
    );
    // The record says why (SPEC §5: refused by limits); a 503 says when to retry (§20.33).
    const { reason, retryAfterSec } = admitted;
    return { ...failure(admitted.status, reason), endReason: reason, retryAfterSec };
  }

  /** One contact per usable target, in priority order (ties keep their stored order). */
  async contacts(route: TrunkRoute): Promise<DialContact[]> {
    const { trunk, destination } = route;
    // A `sip:` URI's user comes unescaped from parseUri: escaped again for the Request-URI.
    const user = E164.test(destination) ? fromE164(destination, trunk.numberFormat) : escapeUser(destination);
    const ordered = trunk.outboundTargets
      .map((t, i) => ({ t, i }))
      .sort((a, b) => a.t.priority - b.t.priority || a.i - b.i)
      .map(({ t }) => t)
      .filter((t) => this.#health.isTargetUp(trunk.id, t));
    const auth =
      trunk.outboundUsername && trunk.outboundPassword !== null
        ? { username: trunk.outboundUsername, password: trunk.outboundPassword }
        : undefined;
    const out: DialContact[] = [];
    for (const t of ordered) {
      const ip = await this.#address(t);
      if (!ip) continue;
      const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
      const { transport } = t;
      out.push({
        contact: `sip:${user}@${host}:${t.port}${transport === "udp" ? "" : `;transport=${transport}`}`,
        target: `sip:${user}@${host}`,
        // TLS verifies the carrier's certificate against the configured host (RFC 5922 §7.3).
        flow: {
          transport,
          remoteAddress: ip,
          remotePort: t.port,
          ...(transport === "tls" && { serverName: t.host }),
        },
        auth,
        trunkId: trunk.id,
      });
    }
    return out;
  }

  async #address(t: TrunkTarget): Promise<string | undefined> {
    if (isIP(t.host)) return t.host;
    const resolve =
      this.#o.resolveHost ??
      ((h: string) =>
        lookup(h).then(
          (r) => r.address,
          () => undefined,
        ));
    return resolve(t.host);
  }
}

/**
 * From, P-Asserted-Identity and Privacy toward the carrier. The number: the dial's caller id when
 * it is one, else the caller's own (its From user when that is a number, or its assigned number),
 * else the trunk's; with privacy, From is anonymous (RFC 3323 §4.1.1.3) and PAI still says who.
 */
export function callerIdentity(
  trunk: TrunkRecord,
  contact: DialContact,
  caller: TrunkCaller,
): { from: string; headers: HeaderInput[] } {
  const fromUser = /^sips?:([^@;>]+)@/i.exec(caller.from)?.[1];
  const candidates = [caller.callerId, fromUser, caller.number, trunk.callerId.number ?? undefined];
  // Only numbers already in E.164: a short user name (an extension) is no caller id.
  const number = candidates
    .map((c) => c?.replace(/[\s().-]/g, ""))
    .find((c) => c !== undefined && E164.test(c));
  const host = /@([^;>]+)$/.exec(contact.target)?.[1] ?? contact.flow.remoteAddress;
  const identity = number ? `sip:${number}@${host}` : caller.from;
  const headers: HeaderInput[] = [];
  if (trunk.callerId.assertIdentity && number) headers.push(["P-Asserted-Identity", `<${identity}>`]);
  if (caller.privacy) {
    headers.push(["Privacy", "id"]);
    return { from: "sip:anonymous@anonymous.invalid", headers };
  }
  return { from: identity, headers };
}

function failure(status: number, reason: string): DialOutcome {
  return { status: "failed", sipStatus: status, reason, answeredBy: null, durationSec: null };
}
