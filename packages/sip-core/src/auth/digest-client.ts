import { randomBytes } from "node:crypto";
import { computeDigestResponse, computeHa1, computeUserhash, normalizeAlgorithm } from "./digest-hash.js";
import { parseDigestChallenge, serializeDigestCredentials } from "./digest-headers.js";
import type { DigestChallenge } from "./digest-headers.js";

/** Why the client could not answer a challenge. */
export type DigestClientErrorCode = "malformed-challenge" | "unsupported-algorithm" | "unsupported-qop";

export type DigestClientResult =
  { ok: true; value: string } | { ok: false; error: { code: DigestClientErrorCode; message: string } };

/** What the client knows to answer a challenge: a password, or the HA1 derived from it. */
export interface DigestClientOptions {
  readonly username: string;
  /** Either `password` or `ha1` (for the challenge's realm and algorithm family) must be given. */
  readonly password?: string | undefined;
  readonly ha1?: string | undefined;
  readonly method: string;
  /** The Request-URI of the request being authorized (RFC 3261 §22.4, `digest-uri`). */
  readonly uri: string;
  /** Nonce count: how many requests this client has sent with this nonce, this one included (1-based). */
  readonly nc: number;
  /** Client nonce; random when omitted. */
  readonly cnonce?: string | undefined;
  /** The request body, used only when the server offers nothing but `auth-int`. */
  readonly body?: Uint8Array | undefined;
}

/**
 * Builds the Authorization / Proxy-Authorization value answering `challenge` (RFC 3261 §22.2,
 * §22.3; RFC 7616 §3.4). Prefers `qop=auth`, falls back to `auth-int`, and to the RFC 2069 form
 * when the challenge offers no qop. Never throws for what came from the wire.
 */
export function createAuthorization(
  challenge: DigestChallenge | string,
  options: DigestClientOptions,
): DigestClientResult {
  let parsed: DigestChallenge;
  if (typeof challenge === "string") {
    const result = parseDigestChallenge(challenge);
    if (!result.ok)
      return { ok: false, error: { code: "malformed-challenge", message: result.error.message } };
    parsed = result.value;
  } else {
    parsed = challenge;
  }
  const algorithm = normalizeAlgorithm(parsed.algorithm);
  if (algorithm === undefined) {
    return { ok: false, error: { code: "unsupported-algorithm", message: `algorithm ${parsed.algorithm}` } };
  }
  let qop: "auth" | "auth-int" | undefined;
  if (parsed.qop.includes("auth")) qop = "auth";
  else if (parsed.qop.includes("auth-int")) qop = "auth-int";
  else if (parsed.qop.length > 0) {
    return { ok: false, error: { code: "unsupported-qop", message: `qop ${parsed.qop.join(",")}` } };
  }
  const ha1 = options.ha1 ?? computeHa1(algorithm, options.username, parsed.realm, requirePassword(options));
  const cnonce = qop === undefined ? undefined : (options.cnonce ?? randomBytes(16).toString("base64url"));
  const nc = qop === undefined ? undefined : formatNonceCount(options.nc);
  const response = computeDigestResponse({
    algorithm,
    ha1,
    nonce: parsed.nonce,
    method: options.method,
    uri: options.uri,
    qop,
    nc,
    cnonce,
    body: options.body,
  });
  return {
    ok: true,
    value: serializeDigestCredentials({
      username: parsed.userhash
        ? computeUserhash(algorithm, options.username, parsed.realm)
        : options.username,
      realm: parsed.realm,
      nonce: parsed.nonce,
      uri: options.uri,
      response,
      algorithm,
      qop,
      nc,
      cnonce,
      opaque: parsed.opaque,
      userhash: parsed.userhash,
    }),
  };
}

function requirePassword(options: DigestClientOptions): string {
  if (options.password === undefined) throw new TypeError("createAuthorization needs a password or an ha1");
  return options.password;
}

/** `nc` as eight lower-case hex digits (RFC 7616 §3.4). */
export function formatNonceCount(nc: number): string {
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new RangeError(`invalid nonce count ${nc}`);
  return nc.toString(16).padStart(8, "0");
}

/**
 * Picks the challenge to answer among several WWW-/Proxy-Authenticate values: the first one, in
 * the server's order of preference, whose algorithm this client supports (RFC 7616 §3.7,
 * RFC 8760 §2.4). Unparseable values are skipped. `realm` restricts the choice to one realm.
 */
export function selectDigestChallenge(
  values: readonly string[],
  realm?: string,
): DigestChallenge | undefined {
  for (const value of values) {
    const parsed = parseDigestChallenge(value);
    if (!parsed.ok) continue;
    if (realm !== undefined && parsed.value.realm !== realm) continue;
    if (normalizeAlgorithm(parsed.value.algorithm) !== undefined) return parsed.value;
  }
  return undefined;
}
