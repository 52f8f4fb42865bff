/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256("<id>.<timestamp>.<body>")>`, keyed by
 * the base64-decoded part of `whsec_<base64>`. During a secret rotation both signatures are sent,
 * space-separated, so a receiver verifies with either its old or its new secret.
 */
import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return PREFIX + randomBytes(24).toString("base64");
}

/** Decoded keys by secret: every delivery signs, and decoding the base64 each time showed in profiles. */
const keys = new Map<string, Buffer>();

function secretKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
    key = Buffer.from(b64, "base64");
    if (keys.size >= 10_000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest("base64");
  return `v1,${mac}`;
}

export interface SigningSecrets {
  secret: string;
  previousSecret?: string | null;
  /** Epoch ms; the previous secret signs too until then. */
  previousSecretExpiresAt?: number | null;
}

export function webhookHeaders(
  secrets: SigningSecrets,
  id: string,
  body: string,
  nowMs: number,
): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  const signatures = [sign(secrets.secret, id, ts, body)];
  if (secrets.previousSecret && (secrets.previousSecretExpiresAt ?? 0) > nowMs) {
    signatures.push(sign(secrets.previousSecret, id, ts, body));
  }
  return {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": signatures.join(" "),
  };
}
