import { createHash } from "node:crypto";

/**
 * Digest algorithms for SIP: MD5 (RFC 3261 §22.4), SHA-256 and SHA-512-256 (RFC 8760 §2.2,
 * RFC 7616 §3.2), each with its `-sess` variant (RFC 7616 §3.4.2).
 */
export type DigestAlgorithm =
  "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess" | "SHA-512-256" | "SHA-512-256-sess";

const NODE_HASH: Record<string, string> = { MD5: "md5", "SHA-256": "sha256", "SHA-512-256": "sha512-256" };

const CANONICAL = new Map<string, DigestAlgorithm>(
  (["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"] as const).map((a) => [
    a.toUpperCase(),
    a,
  ]),
);

/** The canonical spelling of an algorithm token (case-insensitive), or undefined if unsupported. */
export function normalizeAlgorithm(token: string): DigestAlgorithm | undefined {
  return CANONICAL.get(token.toUpperCase());
}

/** True for the `-sess` variants, where HA1 is bound to the nonce and cnonce (RFC 7616 §3.4.2). */
export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith("-sess");
}

function baseHash(algorithm: DigestAlgorithm): string {
  const base = algorithm.replace(/-sess$/, "");
  const name = NODE_HASH[base];
  if (name === undefined) throw new TypeError(`unsupported digest algorithm ${algorithm}`);
  return name;
}

/** H(data) as lower-case hex, with the hash function of `algorithm`. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(baseHash(algorithm)).update(data).digest("hex");
}

/**
 * HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2). This is what a registrar stores
 * instead of the password, one per algorithm family; `-sess` variants use the same stored value.
 */
export function computeHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/** userhash = H(username ":" realm) (RFC 7616 §3.4.4). */
export function computeUserhash(algorithm: DigestAlgorithm, username: string, realm: string): string {
  return digestHash(algorithm, `${username}:${realm}`);
}

/** Inputs of the request-digest, RFC 7616 §3.4.1 (and RFC 2069 compatibility without qop). */
export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** The stored HA1 = H(username:realm:password); for `-sess` it is re-keyed with nonce and cnonce. */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** `auth` or `auth-int`; undefined for the RFC 2069 form (no nc, no cnonce). */
  readonly qop?: "auth" | "auth-int" | undefined;
  /** Eight hex digits, e.g. `00000001`. Required with qop. */
  readonly nc?: string | undefined;
  readonly cnonce?: string | undefined;
  /** Body for `auth-int` (RFC 7616 §3.4.3). */
  readonly body?: Uint8Array | undefined;
}

/** The `response` parameter value: KD(H(A1), nonce:nc:cnonce:qop:H(A2)) (RFC 7616 §3.4.1). */
export function computeDigestResponse(input: DigestResponseInput): string {
  const { algorithm, nonce, qop } = input;
  let ha1 = input.ha1;
  if (isSessionAlgorithm(algorithm)) ha1 = digestHash(algorithm, `${ha1}:${nonce}:${input.cnonce ?? ""}`);
  const a2 =
    qop === "auth-int"
      ? `${input.method}:${input.uri}:${digestHash(algorithm, input.body ?? new Uint8Array())}`
      : `${input.method}:${input.uri}`;
  const ha2 = digestHash(algorithm, a2);
  if (qop === undefined) return digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
  return digestHash(algorithm, `${ha1}:${nonce}:${input.nc ?? ""}:${input.cnonce ?? ""}:${qop}:${ha2}`);
}
