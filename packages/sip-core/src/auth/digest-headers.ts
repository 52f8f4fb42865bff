import { parseDigestParams, serializeDigestParams } from "./digest-params.js";
import type { DigestParamOut, DigestParseResult } from "./digest-params.js";

/**
 * A Digest challenge as carried in WWW-Authenticate / Proxy-Authenticate (RFC 3261 §22.1,
 * §25.1 `challenge`; RFC 7616 §3.3). `algorithm` is kept as written (upper-cased) so that an
 * unsupported algorithm can be recognised and skipped by the client (RFC 8760 §2.4).
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** Upper-cased algorithm token; `MD5` when absent (RFC 7616 §3.3). */
  algorithm: string;
  /** The offered qop values, e.g. `["auth"]`; empty for an RFC 2069 style challenge. */
  qop: string[];
  opaque?: string | undefined;
  stale: boolean;
  domain?: string | undefined;
  /** RFC 7616 §3.4.4: the server accepts a hashed username. */
  userhash: boolean;
}

/**
 * Digest credentials as carried in Authorization / Proxy-Authorization (RFC 3261 §22.2, §25.1
 * `credentials`; RFC 7616 §3.4).
 */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  /** Upper-cased algorithm token; `MD5` when absent. */
  algorithm: string;
  qop?: string | undefined;
  nc?: string | undefined;
  cnonce?: string | undefined;
  opaque?: string | undefined;
  userhash: boolean;
}

function required(params: Map<string, string>, names: readonly string[]): string | undefined {
  return names.find((name) => !params.has(name));
}

/** Reads one WWW-/Proxy-Authenticate value. Never throws. */
export function parseDigestChallenge(value: string): DigestParseResult<DigestChallenge> {
  const parsed = parseDigestParams(value);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  const missing = required(p, ["realm", "nonce"]);
  if (missing !== undefined) {
    return { ok: false, error: { code: "missing-param", message: `challenge lacks ${missing}` } };
  }
  const qop = p.get("qop");
  return {
    ok: true,
    value: {
      realm: p.get("realm") as string,
      nonce: p.get("nonce") as string,
      algorithm: (p.get("algorithm") ?? "MD5").toUpperCase(),
      qop:
        qop === undefined
          ? []
          : qop
              .split(",")
              .map((q) => q.trim().toLowerCase())
              .filter((q) => q !== ""),
      opaque: p.get("opaque"),
      stale: p.get("stale")?.toLowerCase() === "true",
      domain: p.get("domain"),
      userhash: p.get("userhash")?.toLowerCase() === "true",
    },
  };
}

/** Reads one Authorization/Proxy-Authorization value. Never throws. */
export function parseDigestCredentials(value: string): DigestParseResult<DigestCredentials> {
  const parsed = parseDigestParams(value);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  const missing = required(p, ["username", "realm", "nonce", "uri", "response"]);
  if (missing !== undefined) {
    return { ok: false, error: { code: "missing-param", message: `credentials lack ${missing}` } };
  }
  return {
    ok: true,
    value: {
      username: p.get("username") as string,
      realm: p.get("realm") as string,
      nonce: p.get("nonce") as string,
      uri: p.get("uri") as string,
      response: p.get("response") as string,
      algorithm: (p.get("algorithm") ?? "MD5").toUpperCase(),
      qop: p.get("qop")?.toLowerCase(),
      nc: p.get("nc"),
      cnonce: p.get("cnonce"),
      opaque: p.get("opaque"),
      userhash: p.get("userhash")?.toLowerCase() === "true",
    },
  };
}

/** The canonical spelling for output (`SHA-256-sess`, not `SHA-256-SESS`). */
function algorithmOut(algorithm: string): string {
  return algorithm.replace(/-SESS$/i, "-sess");
}

/** Writes a challenge; `qop` is a quoted list and `algorithm`/`stale` are tokens (RFC 7616 §3.3). */
export function serializeDigestChallenge(challenge: DigestChallenge): string {
  const out: DigestParamOut[] = [{ name: "realm", value: challenge.realm, quoted: true }];
  if (challenge.domain !== undefined) out.push({ name: "domain", value: challenge.domain, quoted: true });
  out.push({ name: "nonce", value: challenge.nonce, quoted: true });
  if (challenge.opaque !== undefined) out.push({ name: "opaque", value: challenge.opaque, quoted: true });
  if (challenge.stale) out.push({ name: "stale", value: "true", quoted: false });
  out.push({ name: "algorithm", value: algorithmOut(challenge.algorithm), quoted: false });
  if (challenge.qop.length > 0) out.push({ name: "qop", value: challenge.qop.join(","), quoted: true });
  if (challenge.userhash) out.push({ name: "userhash", value: "true", quoted: false });
  return serializeDigestParams(out);
}

/** Writes credentials; `qop`, `nc` and `algorithm` are tokens, the rest quoted (RFC 7616 §3.4). */
export function serializeDigestCredentials(credentials: DigestCredentials): string {
  const out: DigestParamOut[] = [
    { name: "username", value: credentials.username, quoted: true },
    { name: "realm", value: credentials.realm, quoted: true },
    { name: "nonce", value: credentials.nonce, quoted: true },
    { name: "uri", value: credentials.uri, quoted: true },
    { name: "response", value: credentials.response, quoted: true },
    { name: "algorithm", value: algorithmOut(credentials.algorithm), quoted: false },
  ];
  if (credentials.cnonce !== undefined) out.push({ name: "cnonce", value: credentials.cnonce, quoted: true });
  if (credentials.opaque !== undefined) out.push({ name: "opaque", value: credentials.opaque, quoted: true });
  if (credentials.qop !== undefined) out.push({ name: "qop", value: credentials.qop, quoted: false });
  if (credentials.nc !== undefined) out.push({ name: "nc", value: credentials.nc, quoted: false });
  if (credentials.userhash) out.push({ name: "userhash", value: "true", quoted: false });
  return serializeDigestParams(out);
}
