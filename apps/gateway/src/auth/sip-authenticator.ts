/**
 * Digest authentication of SIP requests for one tenant domain (RFC 3261 §22, RFC 7616, RFC 8760):
 * 401 + WWW-Authenticate for REGISTER (§22.1), 407 + Proxy-Authenticate for requests the gateway
 * handles as a proxy/B2BUA (§22.3), SHA-256 offered before MD5, `stale=true` when only the nonce
 * was too old, 403 for wrong credentials. Failed attempts are throttled per (source, user) pair;
 * a whole source is blocked only when it fails for many distinct users (password spraying), and a
 * user everywhere only when many distinct sources fail for it (distributed guessing), so one
 * user's bad password never locks out the other users behind the same address (SPEC §6). The
 * authenticated user must be the one the request speaks for: the To user of a
 * REGISTER (§10.3 step 5: a user registers only their own AOR) and the From user otherwise.
 */
import {
  createResponse,
  DigestServer,
  generateTag,
  getFrom,
  getHeader,
  getHeaders,
  getTo,
  normalizeAlgorithm,
  parseDigestCredentials,
  parseSipUriString,
} from "@hookline/sip-core";
import type { DigestAlgorithm, DigestCredentials, SipRequest, SipResponse } from "@hookline/sip-core";
import type { TenantDirectory, TenantDomain } from "../tenancy/tenant-directory.js";
import type { Flow } from "../transport/types.js";
import { FailureThrottle } from "./failure-throttle.js";
import type { FailureThrottleOptions } from "./failure-throttle.js";
import { log } from "@hookline/log";

const authLog = log.child({ component: "auth" });

export interface SipAuthenticatorOptions {
  readonly directory: TenantDirectory;
  /** Nonce key, ≥ 16 bytes; keep it across restarts (and share it between nodes) so nonces survive. */
  readonly secret: string | Uint8Array;
  /** Nonce lifetime. Default 5 minutes. */
  readonly nonceTtlMs?: number;
  readonly throttle?: AuthThrottleOptions;
  /**
   * Challenges offered, one header line each, in this order. Default SHA-256 then MD5
   * (RFC 8760 §2.4). Clients that only read the first challenge and only know MD5 (SIPp 3.6)
   * need MD5 first.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /**
   * User-Agents that read only the first challenge and only know MD5, and so get MD5 first.
   * Default: SIPp (3.6 aborts on a first SHA-256 challenge instead of taking the next one,
   * RFC 8760 §2.4). sip.js 0.21, also MD5-only, keeps the *last* WWW-Authenticate line, so the
   * default order (SHA-256, then MD5) already works for it. Everyone else: SHA-256 first.
   */
  readonly md5FirstUserAgents?: readonly RegExp[];
  /**
   * Require the credentials' `uri` to equal the Request-URI (RFC 7616 §3.4.6). Off by default:
   * SIPp writes `sip:<remote ip>:<port>` there, and a credential cannot be replayed for another
   * request anyway (nonce counts are tracked, the method is in the digest).
   */
  readonly strictDigestUri?: boolean;
  readonly now?: () => number;
}

/**
 * Failure throttling: `maxFailures` per (source, user) pair; the window, block time and memory
 * bound apply to all three keys.
 */
export interface AuthThrottleOptions extends Omit<FailureThrottleOptions, "now"> {
  /** Distinct users failing from one source within the window that block the source. Default 10. */
  readonly maxUsersPerSource?: number;
  /** Distinct sources failing for one user within the window that block the user. Default 10. */
  readonly maxSourcesPerUser?: number;
}

export interface AuthenticateOptions {
  /** true: 407/Proxy-Authenticate (INVITE, MESSAGE, ...); false: 401/WWW-Authenticate (REGISTER). */
  readonly proxy: boolean;
  readonly domain: TenantDomain;
}

export type AuthenticateResult =
  { ok: true; username: string } | { ok: false; response: SipResponse; reason: string };

export class SipAuthenticator {
  readonly #directory: TenantDirectory;
  readonly #digest: DigestServer;
  /** Failures per (source, user) pair. */
  readonly #pairs: FailureThrottle;
  /** Distinct failing users per source: spraying one password over many users. */
  readonly #sources: FailureThrottle;
  /** Distinct failing sources per user: one user guessed at from many addresses. */
  readonly #users: FailureThrottle;
  readonly #strictUri: boolean;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #md5First: readonly RegExp[];

  constructor(options: SipAuthenticatorOptions) {
    this.#directory = options.directory;
    const now = options.now ?? Date.now;
    this.#algorithms = options.algorithms ?? ["SHA-256", "MD5"];
    this.#md5First = options.md5FirstUserAgents ?? [/^SIPp\b/i];
    this.#digest = new DigestServer({
      secret: options.secret,
      now,
      algorithms: this.#algorithms,
      ...(options.nonceTtlMs !== undefined && { nonceTtlMs: options.nonceTtlMs }),
    });
    const { maxUsersPerSource, maxSourcesPerUser, ...throttle } = options.throttle ?? {};
    this.#pairs = new FailureThrottle({ ...throttle, now });
    this.#sources = new FailureThrottle({ ...throttle, maxFailures: maxUsersPerSource ?? 10, now });
    this.#users = new FailureThrottle({ ...throttle, maxFailures: maxSourcesPerUser ?? 10, now });
    this.#strictUri = options.strictDigestUri ?? false;
  }

  /** Throttle bookkeeping, for tests and /healthz. */
  get throttledKeys(): number {
    return this.#pairs.size + this.#sources.size + this.#users.size;
  }

  authenticate(req: SipRequest, flow: Flow, options: AuthenticateOptions): AuthenticateResult {
    const { domain, proxy } = options;
    const source = flow.remoteAddress;
    const sourceKey = `ip:${source}`;
    // Refused before any digest work, so a blocked source learns nothing more (not even "right").
    if (this.#sources.isBlocked(sourceKey)) {
      return this.#refuse(
        req,
        403,
        "Forbidden (too many failed logins for different users from this address)",
      );
    }

    const credentials = findCredentials(req, proxy ? "proxy-authorization" : "authorization", domain.name);
    if (credentials === undefined) return this.#challenge(req, options, false, "no credentials");
    if (!credentials.ok) return this.#refuse(req, 400, `bad credentials: ${credentials.message}`);
    const creds = credentials.value;
    // The username is the sender's to choose: its first 128 characters bound each key's size.
    const user = creds.username.slice(0, 128);
    const userKey = `user:${domain.domainId}:${user}`;
    const pairKey = `pair:${source}:${domain.domainId}:${user}`;
    if (this.#pairs.isBlocked(pairKey)) {
      return this.#refuse(req, 403, "Forbidden (too many failed logins for this user from this address)");
    }
    if (this.#users.isBlocked(userKey)) {
      return this.#refuse(req, 403, "Forbidden (too many failed logins for this user from many addresses)");
    }

    let result = this.#verify(req, creds, domain, false);
    if (!result.ok && result.code === "bad-response") {
      // The HA1 may have been cached before a password change: look once more, uncached.
      result = this.#verify(req, creds, domain, true);
    }
    if (!result.ok) {
      switch (result.code) {
        case "expired-nonce":
        case "replayed-nonce-count":
        case "unknown-nonce":
        case "unsupported-algorithm":
        case "realm-mismatch":
        case "opaque-mismatch":
          // Not a password guess (stale is only set after the digest was right): challenge again.
          return this.#challenge(req, options, result.stale, result.message);
        case "unknown-user":
        case "bad-response":
          this.#failed(pairKey, sourceKey, userKey);
          return this.#refuse(req, 403, result.message);
        default:
          return this.#refuse(req, 400, result.message);
      }
    }
    this.#pairs.succeed(pairKey);
    this.#users.succeed(userKey);

    // RFC 3261 §10.3 step 5 (REGISTER: To) and the identity a call is placed as (From).
    const party = proxy ? getFrom(req) : getTo(req);
    const uri = party === undefined ? undefined : parseSipUriString(party.uri);
    if (
      uri === undefined ||
      !uri.ok ||
      uri.value.user !== result.username ||
      uri.value.host.toLowerCase() !== domain.name
    ) {
      const header = proxy ? "From" : "To";
      return this.#refuse(req, 403, `${result.username} may not act as the ${header} user`);
    }
    return { ok: true, username: result.username };
  }

  /**
   * One wrong password or unknown user. The pair counts every failure; the source and the user
   * count a pair once per window, i.e. distinct users per source and distinct sources per user.
   */
  #failed(pairKey: string, sourceKey: string, userKey: string): void {
    const firstOfPair = this.#pairs.recentFailures(pairKey) === 0;
    if (this.#pairs.fail(pairKey))
      authLog.warn({ blocked: pairKey }, "blocking a source and user: too many failed logins");
    if (!firstOfPair) return;
    if (this.#sources.fail(sourceKey))
      authLog.warn(
        { blocked: sourceKey },
        "blocking a source: failed logins for many users (password spraying)",
      );
    if (this.#users.fail(userKey))
      authLog.warn({ blocked: userKey }, "blocking a user: failed logins from many sources");
  }

  #verify(req: SipRequest, creds: DigestCredentials, domain: TenantDomain, fresh: boolean) {
    const algorithm = normalizeAlgorithm(creds.algorithm);
    const ha1s = creds.userhash ? undefined : this.#directory.ha1(domain.domainId, creds.username, fresh);
    const ha1 =
      ha1s === undefined ? undefined : algorithm?.startsWith("SHA-256") === true ? ha1s.sha256 : ha1s.md5;
    const requestUri = this.#strictUri ? req.uri : undefined;
    return this.#digest.verify(creds, { method: req.method, realm: domain.name, ha1, requestUri });
  }

  #challenge(req: SipRequest, options: AuthenticateOptions, stale: boolean, reason: string) {
    const status = options.proxy ? 407 : 401;
    const header = options.proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
    // One header line per algorithm, in order of preference (RFC 8760 §2.4).
    const realm = options.domain.name;
    const challenges = this.#digest.createChallenges({ realm, stale }, this.#offer(req));
    const response = createResponse(req, status, undefined, {
      toTag: generateTag(),
      headers: [...challenges.map((c) => [header, c] as const), ["Server", "Hookline"]],
    });
    return { ok: false as const, response, reason };
  }

  /** SHA-256 first, except for known MD5-only clients that stop at the first challenge. */
  #offer(req: SipRequest): readonly DigestAlgorithm[] {
    const agent = getHeader(req, "user-agent");
    if (agent === undefined || !this.#md5First.some((re) => re.test(agent))) return this.#algorithms;
    return [...this.#algorithms].sort((a, b) => Number(b === "MD5") - Number(a === "MD5"));
  }

  /** A throttling reason is also the response's reason phrase, so the refused user learns why. */
  #refuse(req: SipRequest, status: 400 | 403, reason: string) {
    const phrase = reason.startsWith("Forbidden (") ? reason : undefined;
    const response = createResponse(req, status, phrase, {
      toTag: generateTag(),
      headers: [["Server", "Hookline"]],
    });
    return { ok: false as const, response, reason };
  }
}

type Found = { ok: true; value: DigestCredentials } | { ok: false; message: string };

/** The Digest credentials for `realm` among the request's Authorization lines (RFC 3261 §22.4). */
function findCredentials(req: SipRequest, key: string, realm: string): Found | undefined {
  let firstError: string | undefined;
  for (const value of getHeaders(req, key)) {
    const parsed = parseDigestCredentials(value);
    if (!parsed.ok) {
      // Another scheme (e.g. Bearer) or a malformed line; only report it when nothing else fits.
      if (parsed.error.code !== "not-digest") firstError ??= parsed.error.message;
      continue;
    }
    if (parsed.value.realm.toLowerCase() === realm) return { ok: true, value: parsed.value };
  }
  return firstError === undefined ? undefined : { ok: false, message: firstError };
}
