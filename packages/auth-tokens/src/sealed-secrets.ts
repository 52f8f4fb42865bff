import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Secrets the platform must be able to read back (a trunk's outbound digest password answers
 * whatever realm the carrier names, RFC 3261 §22.2, so a hash will not do), sealed with
 * AES-256-GCM under a key derived (HKDF-SHA256) from the data folder's token secret. `context`
 * (e.g. the row id and field) is bound as associated data, so a sealed value copied to another row
 * does not open. Format: `v1.<iv b64url>.<ciphertext b64url>.<tag b64url>`.
 */
export function sealSecret(secret: string | Uint8Array, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealKey(secret), iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, body, cipher.getAuthTag()]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/** The plaintext, or null when the value was not sealed by `sealSecret` with this key and context. */
export function openSecret(secret: string | Uint8Array, sealed: string, context: string): string | null {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || iv === undefined || body === undefined || tag === undefined) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealKey(secret), Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return null;
  }
}

function sealKey(secret: string | Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), "hookline sealed secrets v1", 32));
}

/** The sealing context of a trunk's digest password (written by the API, opened by the gateway). */
export const trunkSecretContext = (trunkId: string, side: "outbound" | "inbound") =>
  `trunk:${trunkId}:${side}`;
