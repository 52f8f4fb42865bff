/**
 * INVITEs from carriers and PBXs (SPEC §3 trunks, issue text "numbers"): a request whose source
 * address a trunk allows, to one of that trunk's account's numbers (the Request-URI user read with
 * the trunk's number rules), becomes a call of that account, routed through the number's domain.
 * A request to a number from a source no trunk allows gets 403, the same whether the number exists
 * or not, and is only logged: it belongs to no account. Trunks may share a carrier's addresses
 * across accounts; the number decides which trunk the call came through.
 */
import {
  getFrom,
  getHeaders,
  getHeader,
  parseSipUriString,
  DigestServer,
  computeHa1,
} from "@hookline/sip-core";
import { parseDigestCredentials, normalizeAlgorithm } from "@hookline/sip-core";
import type { DigestAlgorithm, SipRequest } from "@hookline/sip-core";
import type { Logger } from "@hookline/log";
import type { InboundTrunks, TenantDomain, TrunkInboundDecision } from "../b2bua/ports.js";
import type { Flow } from "../transport/types.js";
import { looksLikePhoneNumber, toE164 } from "./number-format.js";
import type { TrunkDirectory, TrunkRecord } from "./trunk-directory.js";

/** The realm of trunks' inbound digest (RFC 3261 §22.1: a string the PBX shows for the password). */
export const TRUNK_REALM = "hookline";

export interface InboundTrunkOptions {
  directory: TrunkDirectory;
  /** Whether a host is a tenant's domain (a user's call, not a carrier's). */
  isTenantDomain(host: string): boolean;
  /** Nonce key for the inbound digest, ≥ 16 bytes. */
  secret: string | Uint8Array;
  logger: Logger;
  now?: () => number;
}

export class InboundTrunkGate implements InboundTrunks {
  readonly #o: InboundTrunkOptions;
  readonly #digest: DigestServer;

  constructor(options: InboundTrunkOptions) {
    this.#o = options;
    this.#digest = new DigestServer({ secret: options.secret, ...(options.now && { now: options.now }) });
  }

  classify(req: SipRequest, flow: Flow): TrunkInboundDecision {
    const target = parseSipUriString(req.uri);
    const user = target.ok ? target.value.user : undefined;
    const fromUri = parseSipUriString(getFrom(req)?.uri ?? "");
    const fromTenant = fromUri.ok && this.#o.isTenantDomain(fromUri.value.host);
    const candidates = this.#o.directory.bySource(flow.remoteAddress);
    if (candidates.length === 0) {
      if (fromTenant) return { kind: "not-trunk" };
      if (!user || !looksLikePhoneNumber(user)) return { kind: "not-trunk" };
      // Never a hint of which numbers exist: the answer depends on the source alone.
      this.#o.logger.warn(
        { source: `${flow.remoteAddress}:${flow.remotePort}`, transport: flow.transport },
        "INVITE to a number from a source no trunk allows",
      );
      return { kind: "respond", status: 403, reason: "Forbidden" };
    }
    const match = user === undefined ? undefined : this.#numberOn(candidates, user);
    if (!match) {
      // A user's phone behind a trunk's address (a PBX's own users) still calls as a user.
      if (fromTenant) return { kind: "not-trunk" };
      this.#o.logger.info(
        { source: flow.remoteAddress, trunks: candidates.map((t) => t.id) },
        "trunk call to no number",
      );
      return { kind: "respond", status: 404, reason: "Not Found" };
    }
    const { trunk, number, domain, assignedUser } = match;
    const refused = this.#authenticate(req, trunk);
    if (refused) return refused;
    return { kind: "call", domain, trunk: trunk.name, number, user: assignedUser };
  }

  /** The first candidate trunk whose account holds the number (and which the number allows). */
  #numberOn(candidates: TrunkRecord[], user: string) {
    for (const trunk of candidates) {
      const e164 = toE164(user, trunk.numberFormat);
      if (!e164) continue;
      const row = this.#o.directory.number(e164);
      if (!row || row.accountId !== trunk.accountId) continue;
      if (row.trunkId !== null && row.trunkId !== trunk.id) continue;
      const domain: TenantDomain | undefined = this.#o.directory.domainOf(row);
      if (!domain) continue;
      return { trunk, number: e164, domain, assignedUser: row.user ?? undefined };
    }
    return undefined;
  }

  /**
   * A trunk with inbound credentials (a PBX) must answer a 407 (RFC 3261 §22.3); the username must
   * be the trunk's. Undefined when the request may pass.
   */
  #authenticate(req: SipRequest, trunk: TrunkRecord): TrunkInboundDecision | undefined {
    if (!trunk.inboundUsername || trunk.inboundPassword === null) return undefined;
    const challenge = (stale: boolean): TrunkInboundDecision => ({
      kind: "respond",
      status: 407,
      reason: "Proxy Authentication Required",
      headers: this.#digest
        .createChallenges({ realm: TRUNK_REALM, stale }, algorithmsFor(req))
        .map((value) => ["Proxy-Authenticate", value] as [string, string]),
    });
    const value = getHeaders(req, "proxy-authorization")
      .map((v) => parseDigestCredentials(v))
      .find((r) => r.ok && r.value.realm === TRUNK_REALM);
    if (!value?.ok) return challenge(false);
    const creds = value.value;
    const algorithm = normalizeAlgorithm(creds.algorithm);
    const ha1 =
      algorithm && creds.username === trunk.inboundUsername
        ? computeHa1(algorithm, trunk.inboundUsername, TRUNK_REALM, trunk.inboundPassword)
        : undefined;
    const result = this.#digest.verify(creds, { method: req.method, realm: TRUNK_REALM, ha1 });
    if (result.ok) return undefined;
    if (result.code === "bad-response" || result.code === "unknown-user") {
      this.#o.logger.warn({ trunk: trunk.id, code: result.code }, "trunk digest refused");
      return { kind: "respond", status: 403, reason: "Forbidden" };
    }
    return challenge(result.stale);
  }
}

/** SIPp 3.6 reads only the first challenge and knows only MD5 (see auth/sip-authenticator.ts). */
function algorithmsFor(req: SipRequest): DigestAlgorithm[] {
  return /^SIPp\b/i.test(getHeader(req, "user-agent") ?? "") ? ["MD5", "SHA-256"] : ["SHA-256", "MD5"];
}
