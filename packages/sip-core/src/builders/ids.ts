/** Identifiers with crypto randomness: branch (RFC 3261 §8.1.1.7), tags (§19.3), Call-ID (§8.1.1.4). */
import { pooledRandomBytes } from "./random.js";

/** The RFC 3261 magic cookie that starts every branch (§8.1.1.7). */
export const BRANCH_MAGIC_COOKIE = "z9hG4bK";

/** A new Via branch: `z9hG4bK` + 96 random bits, unique across space and time (RFC 3261 §8.1.1.7). */
export function generateBranch(): string {
  return BRANCH_MAGIC_COOKIE + pooledRandomBytes(12).toString("base64url");
}

/** A From/To tag with 64 random bits (RFC 3261 §19.3 asks for at least 32). */
export function generateTag(): string {
  return pooledRandomBytes(8).toString("hex");
}

/** A Call-ID with 128 random bits, optionally `@host` (RFC 3261 §8.1.1.4, §20.8). */
export function generateCallId(host?: string): string {
  const id = pooledRandomBytes(16).toString("hex");
  return host === undefined ? id : `${id}@${host}`;
}
