/**
 * An in-memory mirror of the tables the gateway reads on every SIP message (accounts, domains,
 * credentials, trunks, numbers, and the cluster: nodes and where each binding is held), for PostgreSQL (SPEC §2, several nodes on one database): the
 * gateway's lookups stay synchronous, with no round trip per message, and every node sees what
 * any node or the console wrote.
 *
 * It listens on `hookline_directory`, where a trigger on each table names every committed row
 * change (drizzle-pg/0004_directory_notify.sql), and reads that row again. Notifications are only
 * lost with the listening connection, so on every (re)connection it listens first and then reads
 * every table whole: a change made while it was away is in that read, and one made during the
 * read is notified after it. All reads run one after another, so an older read never overwrites
 * a newer one. While it is not listening, `stale` says so (readiness shows it).
 */
import { inArray, sql } from "drizzle-orm";
import pg from "pg";
import type { Logger } from "@hookline/log";
import type { PgDatabase } from "./pg.js";
import * as pgSchema from "./schema-pg/index.js";
import type { Account } from "./schema/accounts.js";
import type { ClusterNode } from "./schema/nodes.js";
import type { Credential, Domain, Registration } from "./schema/sip.js";
import type { PhoneNumber, Trunk } from "./schema/trunks.js";

export const DIRECTORY_CHANNEL = "hookline_directory";
/** A catch-up marker's payload prefix (caughtUp), beside the triggers' "table:id". */
const SYNC = "sync:";

interface Rows {
  accounts: Account;
  domains: Domain;
  credentials: Credential;
  trunks: Trunk;
  numbers: PhoneNumber;
  nodes: ClusterNode;
  registrations: Registration;
}
export type MirroredTable = keyof Rows;
export const MIRRORED_TABLES: readonly MirroredTable[] = [
  "accounts",
  "domains",
  "credentials",
  "trunks",
  "numbers",
  "nodes",
  "registrations",
];

/** Rows of one table grouped by a key (unique keys hold one row per key). */
class Index<R extends { id: string }> {
  readonly #groups = new Map<string, Map<string, R>>();
  constructor(readonly key: (row: R) => string | null) {}

  add(row: R): void {
    const k = this.key(row);
    if (k === null) return;
    let group = this.#groups.get(k);
    if (!group) this.#groups.set(k, (group = new Map<string, R>()));
    group.set(row.id, row);
  }

  remove(row: R): void {
    const k = this.key(row);
    if (k === null) return;
    const group = this.#groups.get(k);
    group?.delete(row.id);
    if (group?.size === 0) this.#groups.delete(k);
  }

  clear(): void {
    this.#groups.clear();
  }

  all(k: string): R[] {
    return [...(this.#groups.get(k)?.values() ?? [])];
  }

  one(k: string): R | undefined {
    return this.#groups.get(k)?.values().next().value;
  }
}

class Table<R extends { id: string }> {
  readonly rows = new Map<string, R>();
  constructor(readonly indexes: ReadonlyArray<Index<R>>) {}

  put(row: R): void {
    this.remove(row.id);
    this.rows.set(row.id, row);
    for (const i of this.indexes) i.add(row);
  }

  remove(id: string): void {
    const old = this.rows.get(id);
    if (!old) return;
    this.rows.delete(id);
    for (const i of this.indexes) i.remove(old);
  }

  replaceAll(rows: readonly R[]): void {
    this.rows.clear();
    for (const i of this.indexes) i.clear();
    for (const row of rows) this.put(row);
  }
}

const SEP = "\u0000";

export interface DirectoryMirrorOptions {
  /** The database's URL: the listening connection is a client of its own, outside the pool. */
  url: string;
  db: PgDatabase;
  logger: Logger;
  /** First wait before listening again after the connection is lost; doubles up to 10 s. Default 250 ms. */
  reconnectMs?: number;
}

export class DirectoryMirror {
  readonly #o: DirectoryMirrorOptions;
  readonly #domainsByName = new Index<Domain>((d) => d.name.toLowerCase());
  readonly #domainsOfAccount = new Index<Domain>((d) => d.accountId);
  readonly #credentialsByUser = new Index<Credential>((c) => c.domainId + SEP + c.username);
  readonly #trunksOfAccount = new Index<Trunk>((t) => t.accountId);
  readonly #numbersByNumber = new Index<PhoneNumber>((n) => n.number);
  readonly #numbersOfUser = new Index<PhoneNumber>((n) =>
    n.domainId === null || n.user === null ? null : n.domainId + SEP + n.user,
  );
  readonly #registrationsByAor = new Index<Registration>((r) => r.aor);
  readonly #tables: { [K in MirroredTable]: Table<Rows[K]> } = {
    accounts: new Table<Account>([]),
    domains: new Table([this.#domainsByName, this.#domainsOfAccount]),
    credentials: new Table([this.#credentialsByUser]),
    trunks: new Table([this.#trunksOfAccount]),
    numbers: new Table([this.#numbersByNumber, this.#numbersOfUser]),
    nodes: new Table<ClusterNode>([]),
    registrations: new Table([this.#registrationsByAor]),
  };
  /** Rows named by notifications and not read yet. */
  readonly #pending = new Map<MirroredTable, Set<string>>();
  #work: Promise<void> = Promise.resolve();
  #client: pg.Client | undefined;
  #listening = false;
  /** The tables were read whole since the last (re)connection, and no read has failed since. */
  #current = false;
  #stopped = false;
  #retryMs: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #syncs = 0;
  readonly #syncWaiters = new Map<string, () => void>();
  /** Full reads done (the first at start, one more after each reconnection); for tests and logs. */
  loads = 0;

  constructor(options: DirectoryMirrorOptions) {
    this.#o = options;
    this.#retryMs = options.reconnectMs ?? 250;
  }

  /**
   * Listens, then reads every table; resolves once the mirror holds them. Rejects (and stops) when
   * it cannot listen or that first read fails.
   */
  async start(): Promise<void> {
    try {
      await this.#listen();
      await this.#work;
      if (!this.#current) throw new Error("directory mirror: the first read of the tables failed");
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.#work;
  }

  /** True while changes may be missing: not listening, or not read whole since it listens. */
  get stale(): boolean {
    return !this.#listening || !this.#current;
  }

  /** The listening connection's server process id (tests end it to see a reconnection). */
  get listenerPid(): number | undefined {
    // node-postgres sets it on connect; its type declarations omit it.
    return (this.#client as unknown as { processID?: number } | undefined)?.processID;
  }

  row<K extends MirroredTable>(table: K, id: string): Rows[K] | undefined {
    return this.#tables[table].rows.get(id);
  }

  rows<K extends MirroredTable>(table: K): IterableIterator<Rows[K]> {
    return this.#tables[table].rows.values() as IterableIterator<Rows[K]>;
  }

  domainByName(name: string): Domain | undefined {
    return this.#domainsByName.one(name.toLowerCase());
  }

  /** The account's domains, oldest first. */
  domainsOfAccount(accountId: string): Domain[] {
    return this.#domainsOfAccount.all(accountId).sort((a, b) => a.createdAt - b.createdAt || cmp(a.id, b.id));
  }

  credential(domainId: string, username: string): Credential | undefined {
    return this.#credentialsByUser.one(domainId + SEP + username);
  }

  /** The account's trunks by name. */
  trunksOfAccount(accountId: string): Trunk[] {
    return this.#trunksOfAccount.all(accountId).sort((a, b) => cmp(a.name, b.name));
  }

  number(e164: string): PhoneNumber | undefined {
    return this.#numbersByNumber.one(e164);
  }

  /** The numbers assigned to a domain's user, in order. */
  numbersOfUser(domainId: string, user: string): PhoneNumber[] {
    return this.#numbersOfUser.all(domainId + SEP + user).sort((a, b) => cmp(a.number, b.number));
  }

  /**
   * The AOR's bindings on every node, as last notified: where each is held (`nodeId`, `path`);
   * a refresh's expiry is not notified (drizzle-pg/0007_cluster_notify.sql).
   */
  registrationsOf(aor: string): Registration[] {
    return this.#registrationsByAor.all(aor);
  }

  async #listen(): Promise<void> {
    // Keepalive: a half-open connection (a network cut) must end, or notifications stop unnoticed.
    const client = new pg.Client({ connectionString: this.#o.url, keepAlive: true });
    this.#client = client;
    client.on("notification", (n) => this.#notified(n.payload ?? ""));
    client.on("error", (err) => this.#lost(client, err));
    client.on("end", () => this.#lost(client, new Error("connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN ${DIRECTORY_CHANNEL}`);
    } catch (err) {
      this.#lost(client, err as Error);
      throw err;
    }
    this.#listening = true;
    this.#retryMs = this.#o.reconnectMs ?? 250;
    // Notifications received from here on are read after this full read, in order.
    this.#pending.clear();
    this.#enqueue(() => this.#loadAll());
  }

  #lost(client: pg.Client, err: Error): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#listening = false;
    this.#current = false;
    client.end().catch(() => undefined);
    if (this.#stopped) return;
    this.#o.logger.warn(
      { err: err.message },
      "directory mirror: lost its PostgreSQL connection; listening again",
    );
    this.#retryTimer = setTimeout(() => {
      this.#listen().catch(() => undefined);
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
  }

  /**
   * Resolves once the mirror holds every change committed before the call (a process reading
   * what it has just written): a marker sent now on the channel arrives after their
   * notifications, whose reads are queued by then. Gives up after 5 s (the connection was lost:
   * the full read that follows brings everything).
   */
  async caughtUp(): Promise<void> {
    if (this.stale) return;
    const token = `${process.pid}.${++this.#syncs}`;
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<void>((resolve) => {
      this.#syncWaiters.set(token, resolve);
      timer = setTimeout(resolve, 5000);
    });
    try {
      await this.#o.db.execute(sql`select pg_notify(${DIRECTORY_CHANNEL}, ${`${SYNC}${token}`})`);
      await arrived;
    } finally {
      clearTimeout(timer);
      this.#syncWaiters.delete(token);
    }
    await this.#work;
  }

  #notified(payload: string): void {
    if (payload.startsWith(SYNC)) {
      this.#syncWaiters.get(payload.slice(SYNC.length))?.();
      return;
    }
    const colon = payload.indexOf(":");
    const table = payload.slice(0, colon) as MirroredTable;
    if (colon < 0 || !(table in this.#tables)) return;
    let ids = this.#pending.get(table);
    if (!ids) {
      this.#pending.set(table, (ids = new Set()));
      if (this.#pending.size === 1) this.#enqueue(() => this.#readPending());
    }
    ids.add(payload.slice(colon + 1));
  }

  #enqueue(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch((err: unknown) => {
      this.#current = false;
      if (this.#stopped) return;
      this.#o.logger.error({ err }, "directory mirror: a read failed; reading every table again");
      // Whatever that read would have brought is in a full read, after a pause that doubles.
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#enqueue(() => this.#loadAll()), this.#retryMs);
      this.#retryTimer.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
    });
  }

  /** A table as the reads see it: rows with an id (the row types differ per table). */
  #anyTable(name: MirroredTable): Table<{ id: string }> {
    return this.#tables[name] as unknown as Table<{ id: string }>;
  }

  async #loadAll(): Promise<void> {
    for (const name of MIRRORED_TABLES) {
      const table = this.#anyTable(name);
      table.replaceAll(await this.#o.db.select().from(pgSchema[name]));
    }
    this.#current = true;
    this.#retryMs = this.#o.reconnectMs ?? 250;
    this.loads++;
  }

  async #readPending(): Promise<void> {
    const batch = [...this.#pending];
    this.#pending.clear();
    for (const [name, ids] of batch) {
      const source = pgSchema[name];
      const table = this.#anyTable(name);
      const all = [...ids];
      // In chunks: a statement takes at most 65 535 parameters.
      for (let i = 0; i < all.length; i += 10_000) {
        const chunk = all.slice(i, i + 10_000);
        const found = await this.#o.db.select().from(source).where(inArray(source.id, chunk));
        for (const row of found) table.put(row);
        const present = new Set(found.map((r) => r.id));
        for (const id of chunk) if (!present.has(id)) table.remove(id);
      }
    }
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
