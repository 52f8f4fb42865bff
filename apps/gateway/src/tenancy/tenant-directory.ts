/**
 * Which tenant a SIP request belongs to (SPEC §3: "a SIP domain ... is how SIP traffic finds its
 * tenant") and the digest HA1s of its users. Domains and credentials change through the REST API,
 * so hits are cached only briefly; misses always go to the database (no negative caching: a
 * domain or credential created a moment ago must work at once), and a caller that suspects a
 * stale hit (a digest that did not verify) can ask for a fresh read.
 */
import { createSipDirectory } from "@hookline/db";
import type { Database, SipDirectory } from "@hookline/db";

/**
 * Where domains and credentials are read: SQLite's prepared statements (createSipDirectory), or
 * on PostgreSQL the in-memory DirectoryMirror (@hookline/db/pg), which answers the same two calls.
 */
export type TenantLookups = Pick<SipDirectory, "domainByName" | "credential">;

export interface TenantDomain {
  readonly domainId: string;
  readonly accountId: string;
  /** Lower-case domain name; also the digest realm (credentials are stored with realm = name). */
  readonly name: string;
}

/** Stored HA1 = H(username:realm:password) per algorithm family (RFC 7616 §3.4.2, RFC 8760). */
export interface UserHa1 {
  readonly md5: string;
  readonly sha256: string;
}

export interface TenantDirectoryOptions {
  /** How long a hit stays cached. Default 3000 ms. */
  readonly ttlMs?: number;
  /** Bound on cached entries of each kind; the oldest is dropped beyond it. Default 10 000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry<T> {
  value: T;
  until: number;
}

export class TenantDirectory {
  readonly #directory: TenantLookups;
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #domains = new Map<string, Entry<TenantDomain>>();
  readonly #users = new Map<string, Entry<UserHa1>>();

  /** `source`: a SQLite database (its statements are prepared here) or other lookups. */
  constructor(source: Database | TenantLookups, options: TenantDirectoryOptions = {}) {
    this.#directory = "domainByName" in source ? source : createSipDirectory(source);
    this.#ttl = options.ttlMs ?? 3000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** The tenant owning `name` (a Request-URI host), case-insensitively; undefined when unknown. */
  domain(name: string): TenantDomain | undefined {
    const key = name.toLowerCase();
    const hit = this.#get(this.#domains, key);
    if (hit !== undefined) return hit;
    const row = this.#directory.domainByName(key);
    if (row === undefined) return undefined;
    const value: TenantDomain = { domainId: row.id, accountId: row.accountId, name: row.name.toLowerCase() };
    this.#put(this.#domains, key, value);
    return value;
  }

  /**
   * The HA1s of `username` in `domainId`; undefined when there is no such user. `fresh` skips the
   * cache, for a second look after a digest computed with a cached HA1 failed (password changed).
   */
  ha1(domainId: string, username: string, fresh = false): UserHa1 | undefined {
    const key = `${domainId}\n${username}`;
    if (!fresh) {
      const hit = this.#get(this.#users, key);
      if (hit !== undefined) return hit;
    }
    const row = this.#directory.credential(domainId, username);
    if (row === undefined) {
      this.#users.delete(key);
      return undefined;
    }
    const value: UserHa1 = { md5: row.ha1Md5, sha256: row.ha1Sha256 };
    this.#put(this.#users, key, value);
    return value;
  }

  /** Forgets every cached entry (e.g. after the API changed a domain or a credential). */
  invalidate(): void {
    this.#domains.clear();
    this.#users.clear();
  }

  #get<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #put<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    map.delete(key);
    // No time to live (the source is current, as the PostgreSQL mirror is): nothing to keep.
    if (this.#ttl <= 0) return;
    if (map.size >= this.#max) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
    map.set(key, { value, until: this.#now() + this.#ttl });
  }
}
