import { timingSafeEqual } from "node:crypto";
import { computeDigestResponse, normalizeAlgorithm } from "./digest-hash.js";
import type { DigestAlgorithm } from "./digest-hash.js";
import { parseDigestCredentials, serializeDigestChallenge } from "./digest-headers.js";
import type { DigestCredentials } from "./digest-headers.js";
import { NonceCodec, NonceCountTracker } from "./digest-nonce.js";

export interface DigestServerOptions {
  /** At least 16 bytes; shared by every node that must accept the others' nonces. */
  readonly secret: string | Uint8Array;
  /** How long a nonce is good for; later it is answered with `stale=true`. Default 5 minutes. */
  readonly nonceTtlMs?: number;
  /** Clock in ms since the epoch; injected so tests control expiry. Default `Date.now`. */
  readonly now?: () => number;
  /** Algorithms offered, in order of preference. Default `["SHA-256", "MD5"]` (RFC 8760 §2.4). */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** Bound on nonces whose last nonce count is remembered. Default 10 000. */
  readonly maxTrackedNonces?: number;
}

export interface ChallengeOptions {
  readonly realm: string;
  readonly algorithm: DigestAlgorithm;
  readonly opaque?: string | undefined;
  /** Set when the client's last credentials were correct but their nonce had expired. */
  readonly stale?: boolean | undefined;
}

/** Why credentials were refused. */
export type DigestFailureCode =
  | "malformed"
  | "unsupported-algorithm"
  | "unsupported-qop"
  | "realm-mismatch"
  | "uri-mismatch"
  | "opaque-mismatch"
  | "unknown-nonce"
  | "unknown-user"
  | "bad-response"
  | "expired-nonce"
  | "replayed-nonce-count";

export type DigestVerifyResult =
  | { ok: true; username: string; realm: string; algorithm: DigestAlgorithm; userhash: boolean }
  | {
      ok: false;
      code: DigestFailureCode;
      message: string;
      /**
       * True when the credentials were computed correctly but the nonce can no longer be used:
       * re-challenge with `stale: true` so the client retries without asking its user (RFC 7616 §3.3).
       */
      stale: boolean;
    };

export interface VerifyOptions {
  readonly method: string;
  /** The realm this request must be authenticated in. */
  readonly realm: string;
  /**
   * Stored HA1 for the credentials' username and algorithm family (see `computeHa1`), looked up by
   * the caller from `credentials.username` (a userhash when `credentials.userhash`); undefined when
   * there is no such user.
   */
  readonly ha1: string | undefined;
  /** When given, the credentials' `uri` must equal it (RFC 7616 §3.4.6). */
  readonly requestUri?: string | undefined;
  /** When the challenge carried an opaque, the credentials must return it unchanged. */
  readonly opaque?: string | undefined;
}

const PRUNE_EVERY = 1024;

/**
 * The server side of SIP Digest (RFC 3261 §22.1, §22.3; RFC 7616; RFC 8760): challenges with
 * self-validating expiring nonces and `qop="auth"`, verification against stored HA1, and refusal of
 * replayed nonce counts.
 */
export class DigestServer {
  readonly #codec: NonceCodec;
  readonly #tracker: NonceCountTracker;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #algorithms: readonly DigestAlgorithm[];
  #sincePrune = 0;

  constructor(options: DigestServerOptions) {
    this.#codec = new NonceCodec(options.secret);
    this.#tracker = new NonceCountTracker(options.maxTrackedNonces ?? 10_000);
    this.#ttl = options.nonceTtlMs ?? 300_000;
    this.#now = options.now ?? Date.now;
    this.#algorithms = options.algorithms ?? ["SHA-256", "MD5"];
    if (this.#algorithms.length === 0) throw new RangeError("at least one algorithm must be offered");
  }

  /** Nonces whose last nonce count is currently remembered (bounded by `maxTrackedNonces`). */
  get trackedNonces(): number {
    return this.#tracker.size;
  }

  /** One WWW-/Proxy-Authenticate value with a fresh nonce and `qop="auth"` (RFC 7616 §3.3). */
  createChallenge(options: ChallengeOptions): string {
    return this.#challenge(options, options.algorithm, this.#codec.issue(options.realm, this.#now()));
  }

  /**
   * One challenge per algorithm (by default the configured ones, strongest first): put each in its
   * own header field, in this order, so a client takes the first it can (RFC 8760 §2.4). They
   * share one nonce: the client answers one of them, and its nonce count is tracked per nonce.
   */
  createChallenges(
    options: Omit<ChallengeOptions, "algorithm">,
    algorithms: readonly DigestAlgorithm[] = this.#algorithms,
  ): string[] {
    const nonce = this.#codec.issue(options.realm, this.#now());
    return algorithms.map((algorithm) => this.#challenge(options, algorithm, nonce));
  }

  #challenge(
    options: Omit<ChallengeOptions, "algorithm">,
    algorithm: DigestAlgorithm,
    nonce: string,
  ): string {
    return serializeDigestChallenge({
      realm: options.realm,
      nonce,
      algorithm,
      qop: ["auth"],
      opaque: options.opaque,
      stale: options.stale ?? false,
      userhash: false,
    });
  }

  /**
   * Checks Authorization/Proxy-Authorization credentials. The response digest is checked before
   * nonce freshness, so `stale` is only ever set for a client that knows the password.
   */
  verify(credentials: string | DigestCredentials, options: VerifyOptions): DigestVerifyResult {
    let creds: DigestCredentials;
    if (typeof credentials === "string") {
      const parsed = parseDigestCredentials(credentials);
      if (!parsed.ok) return refuse("malformed", parsed.error.message);
      creds = parsed.value;
    } else {
      creds = credentials;
    }
    const algorithm = normalizeAlgorithm(creds.algorithm);
    if (algorithm === undefined || !this.#algorithms.includes(algorithm)) {
      return refuse("unsupported-algorithm", `algorithm ${creds.algorithm} is not offered`);
    }
    if (creds.realm !== options.realm) return refuse("realm-mismatch", `realm ${creds.realm}`);
    if (creds.qop !== "auth")
      return refuse("unsupported-qop", `qop must be auth, got ${creds.qop ?? "none"}`);
    if (creds.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(creds.nc) || creds.cnonce === undefined) {
      return refuse("malformed", "qop=auth needs nc (8 hex digits) and cnonce");
    }
    if (options.requestUri !== undefined && creds.uri !== options.requestUri) {
      return refuse("uri-mismatch", "the digest uri differs from the Request-URI");
    }
    if (options.opaque !== undefined && creds.opaque !== options.opaque) {
      return refuse("opaque-mismatch", "opaque was not returned unchanged");
    }
    const issuedAt = this.#codec.issuedAt(creds.nonce, options.realm);
    if (issuedAt === undefined) return refuse("unknown-nonce", "the nonce was not issued by this server");
    if (options.ha1 === undefined) return refuse("unknown-user", "no such user");
    const expected = computeDigestResponse({
      algorithm,
      ha1: options.ha1,
      nonce: creds.nonce,
      method: options.method,
      uri: creds.uri,
      qop: "auth",
      nc: creds.nc,
      cnonce: creds.cnonce,
    });
    if (!equalHex(expected, creds.response)) return refuse("bad-response", "wrong credentials");

    const now = this.#now();
    if (now - issuedAt > this.#ttl || issuedAt - now > this.#ttl) {
      return refuse("expired-nonce", "the nonce has expired", true);
    }
    if (++this.#sincePrune >= PRUNE_EVERY) {
      this.#sincePrune = 0;
      this.#tracker.prune(now - this.#ttl);
    }
    const verdict = this.#tracker.use(creds.nonce, issuedAt, Number.parseInt(creds.nc, 16));
    if (verdict !== "accepted") {
      // A replay is refused; a fresh nonce costs an honest client one round trip, an attacker everything.
      return refuse("replayed-nonce-count", `nonce count ${creds.nc} was already used`, true);
    }
    return { ok: true, username: creds.username, realm: creds.realm, algorithm, userhash: creds.userhash };
  }
}

function refuse(code: DigestFailureCode, message: string, stale = false): DigestVerifyResult {
  return { ok: false, code, message, stale };
}

function equalHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "latin1");
  const b = Buffer.from(given.toLowerCase(), "latin1");
  return a.length === b.length && timingSafeEqual(a, b);
}
