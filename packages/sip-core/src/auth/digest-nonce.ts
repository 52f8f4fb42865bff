import { createHmac, timingSafeEqual } from "node:crypto";
import { pooledRandomBytes } from "../builders/random.js";

/**
 * Self-validating nonces (RFC 7616 §3.3 and §5.4): `base64url(time ‖ random ‖ MAC)`, where the MAC
 * is HMAC-SHA-256 under a server secret over time, random and realm. The server keeps no state to
 * recognise its own nonces, any node sharing the secret accepts them, and the embedded time gives
 * expiry (answered with `stale=true`).
 */

const TIME_BYTES = 8;
const RANDOM_BYTES = 12;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;

export class NonceCodec {
  readonly #secret: Buffer;

  constructor(secret: string | Uint8Array) {
    this.#secret = Buffer.from(secret);
    if (this.#secret.length < 16) throw new RangeError("the nonce secret must have at least 16 bytes");
  }

  /** A fresh nonce for `realm`, stamped with `now` (ms since the epoch). */
  issue(realm: string, now: number): string {
    const head = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    pooledRandomBytes(RANDOM_BYTES).copy(head, TIME_BYTES);
    return Buffer.concat([head, this.#mac(head, realm)]).toString("base64url");
  }

  /** The issue time of a nonce this server made for `realm`, or undefined for anything else. */
  issuedAt(nonce: string, realm: string): number | undefined {
    if (nonce.length !== Math.ceil((NONCE_BYTES * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce))
      return undefined;
    const raw = Buffer.from(nonce, "base64url");
    if (raw.length !== NONCE_BYTES) return undefined;
    const head = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), this.#mac(head, realm))) return undefined;
    return Number(head.readBigUInt64BE(0));
  }

  #mac(head: Buffer, realm: string): Buffer {
    return createHmac("sha256", this.#secret).update(head).update(realm).digest().subarray(0, MAC_BYTES);
  }
}

/** The outcome of presenting a nonce count. */
export type NonceCountVerdict = "accepted" | "replayed" | "forgotten";

interface NonceUse {
  lastNc: number;
  readonly issuedAt: number;
}

/**
 * Remembers the highest nonce count seen per nonce, so a replayed or reordered `nc` is refused
 * (RFC 7616 §3.4, §5.5). Memory is bounded: past `maxEntries` the least recently used nonce is
 * forgotten, and every nonce issued no later than a forgotten one is from then on answered as
 * `forgotten` (the server replies `stale=true`; an honest client retries with a fresh nonce
 * without asking its user), so forgetting never lets a replay through.
 */
export class NonceCountTracker {
  readonly #uses = new Map<string, NonceUse>();
  readonly #maxEntries: number;
  /** Nonces issued at or before this time and not in the map may have been forgotten. */
  #floor = Number.NEGATIVE_INFINITY;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be >= 1");
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#uses.size;
  }

  /** Checks `nc` for `nonce` and, when accepted, records it as the highest seen. */
  use(nonce: string, issuedAt: number, nc: number): NonceCountVerdict {
    const known = this.#uses.get(nonce);
    if (known === undefined) {
      if (issuedAt <= this.#floor) return "forgotten";
      this.#uses.set(nonce, { lastNc: nc, issuedAt });
      this.#evict();
      return "accepted";
    }
    if (nc <= known.lastNc) return "replayed";
    known.lastNc = nc;
    // Map order is recency order: move to the back.
    this.#uses.delete(nonce);
    this.#uses.set(nonce, known);
    return "accepted";
  }

  /** Drops nonces issued before `cutoff` (they are expired and refused by time anyway). */
  prune(cutoff: number): void {
    for (const [nonce, use] of this.#uses) {
      if (use.issuedAt < cutoff) this.#uses.delete(nonce);
    }
  }

  #evict(): void {
    while (this.#uses.size > this.#maxEntries) {
      const oldest = this.#uses.entries().next();
      if (oldest.done === true) return;
      const [nonce, use] = oldest.value;
      this.#uses.delete(nonce);
      this.#floor = Math.max(this.#floor, use.issuedAt);
    }
  }
}
