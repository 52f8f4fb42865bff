/**
 * The gateway's reads of trunks and numbers (SPEC §3), written by the REST API, from one of two
 * sources answering synchronously on every INVITE:
 *
 * - SQLite (one node): statements prepared once (building a drizzle query per call cost a tenth of
 *   the signalling thread). Nothing is cached: a trunk or number created a moment ago must carry
 *   calls at once, and the tables are small and indexed.
 * - PostgreSQL (several nodes on one database, SPEC §2): the `DirectoryMirror`, the tables in
 *   memory kept current by LISTEN/NOTIFY (@hookline/db mirror.ts); a round trip per INVITE is what
 *   it avoids.
 *
 * Both answer the same: each source returns rows, and the ordering and choices are made here, once
 * (an account's trunks by name, `bySource` oldest trunk first, `numberOfUser` the lowest number,
 * `domainOf`'s fallback the account's oldest domain). Sealed passwords are opened here, with the
 * key the API sealed them with.
 */
import { isIP, BlockList } from "node:net";
import { openSecret, trunkSecretContext } from "@hookline/auth-tokens";
import { accounts, and, asc, domains, eq, numbers, sql, trunks } from "@hookline/db";
import type { Account, Database, Domain, PhoneNumber, Trunk, TrunkFraudLimits } from "@hookline/db";
import { DirectoryMirror } from "@hookline/db/pg";
import type { TenantDomain } from "../tenancy/tenant-directory.js";

/** A trunk with its secrets opened (null when none is set, or it no longer opens). */
export interface TrunkRecord extends Omit<Trunk, "outboundPasswordSealed" | "inboundPasswordSealed"> {
  outboundPassword: string | null;
  inboundPassword: string | null;
}

/** `::ffff:203.0.113.7` (a v4 peer on a dual-stack socket) is `203.0.113.7`. */
const plainAddress = (ip: string) => ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");

/** Whether `ip` is one of `addresses` (IPs and CIDRs, as the API validated them). */
export function addressAllowed(ip: string, addresses: readonly string[]): boolean {
  const address = plainAddress(ip);
  const family = isIP(address);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of addresses) {
    const [net = "", bits] = entry.split("/");
    const type = isIP(net) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(bits), type);
  }
  return list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The rows the directory reads, in the order each says: the source orders them (SQLite in its
 * statements, the mirror in its lookups), so the directory does not sort on the INVITE path.
 */
interface TrunkRows {
  trunks(): readonly Trunk[];
  /** The account's trunks by name (names are unique per account). */
  trunksOfAccount(accountId: string): readonly Trunk[];
  trunkByName(accountId: string, name: string): Trunk | undefined;
  trunk(id: string): Trunk | undefined;
  account(id: string): Pick<Account, "name" | "fraudLimits"> | undefined;
  number(e164: string): PhoneNumber | undefined;
  /** The lowest of the numbers assigned to a domain's user (E.164: ASCII, one order everywhere). */
  numberOfUser(domainId: string, user: string): string | undefined;
  domain(id: string): DomainRow | undefined;
  /** The account's domains, oldest first (ties by id). */
  domainsOfAccount(accountId: string): readonly DomainRow[];
}

type DomainRow = Pick<Domain, "id" | "accountId" | "name" | "createdAt">;

/** Strings in UTF-16 code unit order (JavaScript's own, the mirror's). */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Oldest first; rows made in the same millisecond by id, so both sources agree on ties. */
const byAge = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) =>
  a.createdAt - b.createdAt || cmp(a.id, b.id);

/** The SQLite source: prepared statements, read at every call. */
function sqliteRows(db: Database): TrunkRows {
  const id = sql.placeholder("id");
  const accountId = sql.placeholder("accountId");
  const domainColumns = {
    id: domains.id,
    accountId: domains.accountId,
    name: domains.name,
    createdAt: domains.createdAt,
  };
  const q = {
    all: db.select().from(trunks).prepare(),
    ofAccount: db
      .select()
      .from(trunks)
      .where(eq(trunks.accountId, accountId))
      .orderBy(asc(trunks.name))
      .prepare(),
    byName: db
      .select()
      .from(trunks)
      .where(and(eq(trunks.accountId, accountId), eq(trunks.name, sql.placeholder("name"))))
      .prepare(),
    trunk: db.select().from(trunks).where(eq(trunks.id, id)).prepare(),
    account: db
      .select({ name: accounts.name, fraudLimits: accounts.fraudLimits })
      .from(accounts)
      .where(eq(accounts.id, id))
      .prepare(),
    number: db
      .select()
      .from(numbers)
      .where(eq(numbers.number, sql.placeholder("number")))
      .prepare(),
    numberOfUser: db
      .select({ number: numbers.number })
      .from(numbers)
      .where(
        and(eq(numbers.domainId, sql.placeholder("domainId")), eq(numbers.user, sql.placeholder("user"))),
      )
      .orderBy(asc(numbers.number))
      .limit(1)
      .prepare(),
    domain: db.select(domainColumns).from(domains).where(eq(domains.id, id)).prepare(),
    domainsOfAccount: db
      .select(domainColumns)
      .from(domains)
      .where(eq(domains.accountId, accountId))
      .orderBy(asc(domains.createdAt), asc(domains.id))
      .prepare(),
  };
  return {
    trunks: () => q.all.all(),
    trunksOfAccount: (accountId) => q.ofAccount.all({ accountId }),
    trunkByName: (accountId, name) => q.byName.get({ accountId, name }),
    trunk: (id) => q.trunk.get({ id }),
    account: (id) => q.account.get({ id }),
    number: (number) => q.number.get({ number }),
    numberOfUser: (domainId, user) => q.numberOfUser.get({ domainId, user })?.number,
    domain: (id) => q.domain.get({ id }),
    domainsOfAccount: (accountId) => q.domainsOfAccount.all({ accountId }),
  };
}

/**
 * The PostgreSQL source: the mirror's rows. They are the mirror's own objects: what leaves the
 * directory is a shallow copy (`#open`, `number`); their JSON columns (targets, limits) are the
 * mirror's, which callers only read.
 */
function mirrorRows(mirror: DirectoryMirror): TrunkRows {
  return {
    trunks: () => [...mirror.rows("trunks")],
    trunksOfAccount: (accountId) => mirror.trunksOfAccount(accountId),
    trunkByName: (accountId, name) => mirror.trunksOfAccount(accountId).find((t) => t.name === name),
    trunk: (id) => mirror.row("trunks", id),
    account: (id) => mirror.row("accounts", id),
    number: (e164) => {
      const n = mirror.number(e164);
      return n && { ...n };
    },
    numberOfUser: (domainId, user) => mirror.numbersOfUser(domainId, user)[0]?.number,
    domain: (id) => mirror.row("domains", id),
    domainsOfAccount: (accountId) => mirror.domainsOfAccount(accountId),
  };
}

export class TrunkDirectory {
  readonly #rows: TrunkRows;
  readonly #secret: string | Uint8Array;

  /**
   * `source`: the SQLite database (prepared statements), or on PostgreSQL the started
   * `DirectoryMirror` (the caller starts and stops it, and shows its `stale` in readiness).
   */
  constructor(source: Database | DirectoryMirror, secret: string | Uint8Array) {
    this.#rows = source instanceof DirectoryMirror ? mirrorRows(source) : sqliteRows(source);
    this.#secret = secret;
  }

  /** The trunks (of any account) whose inbound addresses include `ip`, oldest first. */
  bySource(ip: string): TrunkRecord[] {
    return this.#rows
      .trunks()
      .filter((t) => addressAllowed(ip, t.inboundAddresses))
      .sort(byAge)
      .map((t) => this.#open(t));
  }

  byName(accountId: string, name: string): TrunkRecord | undefined {
    const row = this.#rows.trunkByName(accountId, name);
    return row && this.#open(row);
  }

  /** The account's default trunk (SPEC §5: where a user dialling a number goes). */
  defaultTrunk(accountId: string): TrunkRecord | undefined {
    // The API keeps one; should two ever show (a change half-seen), the first by name, on both sources.
    const row = this.#rows.trunksOfAccount(accountId).find((t) => t.isDefault);
    return row && this.#open(row);
  }

  /** The account's trunk with an outbound target on `host` (a `sip:` URI dialled on it). */
  byTargetHost(accountId: string, host: string): TrunkRecord | undefined {
    const h = host.toLowerCase().replace(/^\[|\]$/g, "");
    const row = this.#rows
      .trunksOfAccount(accountId)
      .find((t) => t.outboundTargets.some((x) => x.host.toLowerCase() === h));
    return row && this.#open(row);
  }

  number(e164: string): PhoneNumber | undefined {
    return this.#rows.number(e164);
  }

  /** The number assigned to `user` of a domain (the user's caller id through a trunk). */
  numberOfUser(domainId: string, user: string): string | undefined {
    return this.#rows.numberOfUser(domainId, user);
  }

  /** Where a number's calls go: its domain, else the account's oldest domain. */
  domainOf(n: PhoneNumber): TenantDomain | undefined {
    const own = n.domainId === null ? undefined : this.#rows.domain(n.domainId);
    const row = own?.accountId === n.accountId ? own : this.#rows.domainsOfAccount(n.accountId)[0];
    return row && { domainId: row.id, accountId: row.accountId, name: row.name.toLowerCase() };
  }

  /** Every trunk's outbound targets, by id, for the health monitor to follow. */
  outboundTargets(): Array<Pick<Trunk, "id" | "accountId" | "name" | "outboundTargets">> {
    return this.#rows
      .trunks()
      .map(({ id, accountId, name, outboundTargets }) => ({ id, accountId, name, outboundTargets }))
      .sort((a, b) => cmp(a.id, b.id));
  }

  /** A trunk's stored toll-fraud limits and its name (read at each admission: edits apply at once). */
  trunkLimits(trunkId: string): { name: string; limits: TrunkFraudLimits } | undefined {
    const t = this.#rows.trunk(trunkId);
    return t && { name: t.name, limits: t.fraudLimits };
  }

  /** The account-level limits over all its trunks (migration 0009). */
  accountLimits(accountId: string): { name: string; limits: TrunkFraudLimits } | undefined {
    const a = this.#rows.account(accountId);
    return a && { name: a.name, limits: a.fraudLimits };
  }

  #open(t: Trunk): TrunkRecord {
    const { outboundPasswordSealed, inboundPasswordSealed, ...rest } = t;
    const open = (sealed: string | null, side: "outbound" | "inbound") =>
      sealed === null ? null : openSecret(this.#secret, sealed, trunkSecretContext(t.id, side));
    return {
      ...rest,
      outboundPassword: open(outboundPasswordSealed, "outbound"),
      inboundPassword: open(inboundPasswordSealed, "inbound"),
    };
  }
}
