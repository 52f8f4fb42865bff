import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Account API keys: `hk_` + 32 random bytes, base64url. Only the SHA-256 is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `hk_${randomBytes(32).toString("base64url")}`;
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

/**
 * A plain SHA-256 suffices for API keys (unlike passwords): they carry 256 bits of entropy, so
 * there is nothing to brute-force, and a fast hash lets every request look its key up by index.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Constant-time string comparison; hashing first makes the lengths equal without leaking them. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
