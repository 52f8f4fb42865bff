import { randomFillSync } from "node:crypto";

/** Prefixes of the text ids, one per table (Stripe-style: the id says what it names). */
export type IdPrefix =
  | "acc"
  | "key"
  | "usr"
  | "dom"
  | "cred"
  | "reg"
  | "call"
  | "leg"
  | "cb"
  | "evt"
  | "dlv"
  | "att"
  | "trk"
  | "num";

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

// Random bytes are taken from a pool refilled 4 KiB at a time: one OpenSSL call per id cost a few
// µs, and the gateway makes several ids per call. Every byte is used once.
const pool = Buffer.alloc(4096);
let offset = pool.length;

/** `n` (≤ 4096) random base32 characters. */
function randomChars(n: number): string {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = "";
  for (let i = 0; i < n; i++) out += ID_ALPHABET[(pool[offset++] as number) & 31];
  return out;
}

/** `acc_` + 20 random base32 characters (100 bits): unguessable, URL-safe, sortable by nothing. */
export function newId(prefix: IdPrefix | (string & {})): string {
  return `${prefix}_${randomChars(20)}`;
}

/**
 * A time-ordered id for high-volume rows (calls, legs, outbox events, deliveries, attempts):
 * `<prefix>_` + 10 base32 characters of milliseconds + 10 random ones (50 bits), the same
 * alphabet and length as `newId`. Random primary keys scatter inserts over the whole B-tree, so
 * every commit wrote one WAL page per row; time-ordered keys append to the last pages (measured:
 * commit time roughly halved). Still unguessable enough for ids that are only ever looked up
 * under the owning account's key.
 */
export function orderedId(prefix: IdPrefix, now = Date.now()): string {
  let t = now;
  const time: string[] = [];
  for (let i = 0; i < 10; i++) {
    time.push(ID_ALPHABET[t % 32] as string);
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time.reverse().join("")}${randomChars(10)}`;
}
