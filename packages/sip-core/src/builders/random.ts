/**
 * Random bytes from a pool refilled 4 KiB at a time: each `randomBytes()` call into OpenSSL costs a
 * few µs, and a call through the gateway takes a dozen branches, tags, Call-IDs and nonces. Every
 * byte is handed out once; the pool only saves the per-call overhead.
 */
import { randomFillSync } from "node:crypto";

const pool = Buffer.alloc(4096);
let offset = pool.length;

/** `n` (≤ 4096) fresh random bytes, as a view valid until the next call. */
export function pooledRandomBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += n;
  return pool.subarray(offset - n, offset);
}
