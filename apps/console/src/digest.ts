import { createHash } from "node:crypto";

/**
 * Digest HA1 = H(username ":" realm ":" password), RFC 2617 §3.2.2.2 / RFC 3261 §22.4 for MD5,
 * RFC 8760 for SHA-256. Storing HA1 lets the registrar check digests without the password.
 */
export function digestHa1(algorithm: "md5" | "sha256", username: string, realm: string, password: string) {
  return createHash(algorithm).update(`${username}:${realm}:${password}`, "utf8").digest("hex");
}
