import { randomUUID } from "node:crypto";
import { SignJWT, errors, jwtVerify } from "jose";

const ISSUER = "hookline";
const AUDIENCE = "hookline:account";

export interface AccountTokenClaims {
  accountId: string;
  /** Hosts a callback in SIP signaling may point at; empty means any (still SSRF-checked). */
  callbackHosts: string[];
  expiresAt: Date;
  tokenId: string;
}

export type VerifyAccountTokenResult =
  ({ ok: true } & AccountTokenClaims) | { ok: false; code: "expired" | "invalid"; error: string };

const keyOf = (secret: string | Uint8Array) =>
  typeof secret === "string" ? new TextEncoder().encode(secret) : secret;

/** A short-lived HS256 JWT for an account (SPEC §3 `POST /v1/tokens`, used in X-Hookline-Token). */
export async function signAccountToken(
  secret: string | Uint8Array,
  input: { accountId: string; ttlSeconds: number; callbackHosts?: string[]; now?: Date },
): Promise<{ token: string; expiresAt: Date; tokenId: string }> {
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const exp = now + input.ttlSeconds;
  const tokenId = randomUUID();
  const token = await new SignJWT({ hosts: input.callbackHosts ?? [] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(input.accountId)
    .setJti(tokenId)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(keyOf(secret));
  return { token, expiresAt: new Date(exp * 1000), tokenId };
}

/**
 * Checks signature (HS256 only: `alg` is pinned so a token cannot pick `none` or another
 * algorithm), issuer, audience and expiry. Input comes from SIP headers: never throws.
 */
export async function verifyAccountToken(
  token: string,
  secret: string | Uint8Array,
  options: { now?: Date } = {},
): Promise<VerifyAccountTokenResult> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      ...(options.now ? { currentDate: options.now } : {}),
    });
    const hosts = payload["hosts"];
    if (typeof payload.sub !== "string" || typeof payload.exp !== "number") {
      return { ok: false, code: "invalid", error: "token lacks sub or exp" };
    }
    if (!Array.isArray(hosts) || !hosts.every((h): h is string => typeof h === "string")) {
      return { ok: false, code: "invalid", error: "token hosts claim is not a list of strings" };
    }
    return {
      ok: true,
      accountId: payload.sub,
      callbackHosts: hosts,
      expiresAt: new Date(payload.exp * 1000),
      tokenId: typeof payload.jti === "string" ? payload.jti : "",
    };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, code: "expired", error: "token expired" };
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, code: "invalid", error: `invalid token: ${reason}` };
  }
}
