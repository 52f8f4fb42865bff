/**
 * The gateway's reads of trunks and numbers (SPEC §3), written by the REST API. Nothing is cached:
 * a trunk or number created a moment ago must carry calls at once, and the tables are small and
 * indexed. The reads every INVITE makes are statements prepared once (building a drizzle query per
 * call cost a tenth of the signalling thread). Sealed passwords are opened here, with the key the
 * API sealed them with.
 */
import { isIP, BlockList } from "node:net";
import { openSecret, trunkSecretContext } from "@hookline/auth-tokens";
import { accounts, and, asc, domains, eq, numbers, sql, trunks } from "@hookline/db";
import type { Database, PhoneNumber, Trunk, TrunkFraudLimits } from "@hookline/db";
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

export class TrunkDirectory {
  readonly #db: Database;
  readonly #secret: string | Uint8Array;

  readonly #q;

  constructor(db: Database, secret: string | Uint8Array) {
    this.#db = db;
    this.#secret = secret;
    const accountId = eq(trunks.accountId, sql.placeholder("accountId"));
    this.#q = {
      all: db.select().from(trunks).prepare(),
      ofAccount: db.select().from(trunks).where(accountId).orderBy(asc(trunks.name)).prepare(),
      byName: db
        .select()
        .from(trunks)
        .where(and(accountId, eq(trunks.name, sql.placeholder("name"))))
        .prepare(),
      defaultOf: db
        .select()
        .from(trunks)
        .where(and(accountId, eq(trunks.isDefault, true)))
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
        .prepare(),
      trunkLimits: db
        .select({ name: trunks.name, limits: trunks.fraudLimits })
        .from(trunks)
        .where(eq(trunks.id, sql.placeholder("id")))
        .prepare(),
      accountLimits: db
        .select({ name: accounts.name, limits: accounts.fraudLimits })
        .from(accounts)
        .where(eq(accounts.id, sql.placeholder("id")))
        .prepare(),
    };
  }

  /** The trunks (of any account) whose inbound addresses include `ip`. */
  bySource(ip: string): TrunkRecord[] {
    return this.#q.all
      .all()
      .filter((t) => addressAllowed(ip, t.inboundAddresses))
      .map((t) => this.#open(t));
  }

  byName(accountId: string, name: string): TrunkRecord | undefined {
    const row = this.#q.byName.get({ accountId, name });
    return row && this.#open(row);
  }

  /** The account's default trunk (SPEC §5: where a user dialling a number goes). */
  defaultTrunk(accountId: string): TrunkRecord | undefined {
    const row = this.#q.defaultOf.get({ accountId });
    return row && this.#open(row);
  }

  /** The account's trunk with an outbound target on `host` (a `sip:` URI dialled on it). */
  byTargetHost(accountId: string, host: string): TrunkRecord | undefined {
    const h = host.toLowerCase().replace(/^\[|\]$/g, "");
    const row = this.#q.ofAccount
      .all({ accountId })
      .find((t) => t.outboundTargets.some((x) => x.host.toLowerCase() === h));
    return row && this.#open(row);
  }

  number(e164: string): PhoneNumber | undefined {
    return this.#q.number.get({ number: e164 });
  }

  /** The number assigned to `user` of a domain (the user's caller id through a trunk). */
  numberOfUser(domainId: string, user: string): string | undefined {
    return this.#q.numberOfUser.get({ domainId, user })?.number;
  }

  /** Where a number's calls go: its domain, else the account's first domain. */
  domainOf(n: PhoneNumber): TenantDomain | undefined {
    const columns = { domainId: domains.id, accountId: domains.accountId, name: domains.name };
    const row =
      (n.domainId &&
        this.#db
          .select(columns)
          .from(domains)
          .where(and(eq(domains.id, n.domainId), eq(domains.accountId, n.accountId)))
          .get()) ||
      this.#db
        .select(columns)
        .from(domains)
        .where(eq(domains.accountId, n.accountId))
        .orderBy(asc(domains.createdAt))
        .get();
    return row ? { ...row, name: row.name.toLowerCase() } : undefined;
  }

  /** Every trunk's outbound targets, for the health monitor to follow. */
  outboundTargets(): Array<Pick<Trunk, "id" | "accountId" | "name" | "outboundTargets">> {
    return this.#db
      .select({
        id: trunks.id,
        accountId: trunks.accountId,
        name: trunks.name,
        outboundTargets: trunks.outboundTargets,
      })
      .from(trunks)
      .orderBy(asc(trunks.id))
      .all();
  }

  /** A trunk's stored toll-fraud limits and its name (read at each admission: edits apply at once). */
  trunkLimits(trunkId: string): { name: string; limits: TrunkFraudLimits } | undefined {
    return this.#q.trunkLimits.get({ id: trunkId });
  }

  /** The account-level limits over all its trunks (migration 0009). */
  accountLimits(accountId: string): { name: string; limits: TrunkFraudLimits } | undefined {
    return this.#q.accountLimits.get({ id: accountId });
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
