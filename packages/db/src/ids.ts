import { randomBytes } from "node:crypto";

/** Prefixes of the text ids, one per table (Stripe-style: the id says what it names). */
export type IdPrefix =
  "acc" | "key" | "usr" | "dom" | "cred" | "reg" | "call" | "leg" | "cb" | "evt" | "dlv" | "att";

/** `acc_` + 20 random base32 characters (100 bits): unguessable, URL-safe, sortable by nothing. */
export function newId(prefix: IdPrefix | (string & {})): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const bytes = randomBytes(20);
  let out = "";
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}_${out}`;
}
