/**
 * What the gateway role reads and writes, on the process's database (SPEC §2,
 * `HOOKLINE_DATABASE_URL`). Its reads happen on every SIP message and stay synchronous: SQLite's
 * prepared statements, or on PostgreSQL the DirectoryMirror (@hookline/db mirror.ts), an
 * in-memory copy kept current by LISTEN/NOTIFY. Its writes are batched: registrations by
 * the binding store's group commit, call records by the call store, on either dialect.
 */
import { ClusterUsage, TrunkMinutesSeed, type CallStore, type Database } from "@hookline/db";
import { createPgCallStore, DirectoryMirror } from "@hookline/db/pg";
import { log } from "@hookline/log";
import type { ProcessDatabase } from "../database.js";
import { SqliteBindingStore, type BindingStore } from "../registrar/binding-store.js";
import { PgBindingStore, type PathFor } from "../registrar/pg-binding-store.js";
import { clusterNodeAt, remoteBindings, type RemoteBindings } from "../cluster/remote-bindings.js";
import { TenantDirectory } from "../tenancy/tenant-directory.js";
import { TrunkDirectory } from "../trunks/trunk-directory.js";
import type { TrunkGuardsOptions } from "../trunks/trunk-guards.js";

export interface GatewayStorage {
  tenants: TenantDirectory;
  bindings: BindingStore;
  /** The user's contacts other nodes hold (PostgreSQL: several gateway nodes). */
  elsewhere: RemoteBindings | undefined;
  /** Whether an address is a cluster node's, up (cluster/relay.ts relays only for them). */
  clusterNode: (address: string) => boolean;
  /** Once SIP listens: the Paths of the bindings restored from the previous run, written again. */
  listening(): Promise<void>;
  trunks: TrunkDirectory;
  /** Where the fraud guard reads today's minutes, and the other nodes' calls (trunk-guards.ts). */
  minutes: Pick<TrunkGuardsOptions, "db" | "minutes" | "otherNodes">;
  /** Domains for the application hook's settings and the calls the platform starts. */
  domains: Database | DirectoryMirror;
  /** The call recorder's source: SQLite's database (written by a worker thread) or a call store. */
  calls: Database | CallStore;
  /** Whether a new call's records can be kept (a call that could not be recorded gets 503). */
  canAcceptCalls(): boolean;
  /** Resolves once the directory holds what this process committed before (PostgreSQL's mirror). */
  caughtUp(): Promise<void>;
  /** False while the directory may miss changes (PostgreSQL's mirror is not listening): `/readyz`. */
  directoryCurrent(): boolean;
  close(): Promise<void>;
}

const callsLog = log.child({ component: "calls" });

/**
 * `nodeId` names this node's rows in the registrations table (SPEC §2 HOOKLINE_NODE_ID), with the
 * Path other nodes reach each through (`pathFor`, PostgreSQL only).
 */
export async function openGatewayStorage(
  database: ProcessDatabase,
  tokenSecret: string,
  nodeId: string,
  pathFor?: PathFor,
): Promise<GatewayStorage> {
  if (database.dialect === "sqlite") {
    const { db, health } = database.sqlite;
    return {
      tenants: new TenantDirectory(db),
      bindings: new SqliteBindingStore(db, nodeId),
      elsewhere: undefined,
      clusterNode: () => false,
      listening: () => Promise.resolve(),
      trunks: new TrunkDirectory(db, tokenSecret),
      minutes: { db },
      domains: db,
      calls: db,
      canAcceptCalls: () => health.writable,
      close: () => Promise.resolve(),
      directoryCurrent: () => true,
      caughtUp: () => Promise.resolve(),
    };
  }
  const { pg, store } = database;
  const mirror = new DirectoryMirror({
    url: database.url,
    db: pg.db,
    logger: log.child({ component: "directory" }),
  });
  await mirror.start();
  let minutes: TrunkMinutesSeed;
  const otherNodes = new ClusterUsage({ store, nodeId });
  try {
    // Before the first call: today's minutes of this node's calls, to which the fraud guard adds
    // what ends after, and the other nodes' calls, read again on a timer (trunk-minutes.ts,
    // cluster-usage.ts: each call is counted from one of them).
    const now = Date.now();
    minutes = await TrunkMinutesSeed.load(store, new Date(now - (now % 86_400_000)), nodeId);
    await otherNodes.refresh();
  } catch (err) {
    await mirror.stop();
    throw err;
  }
  const bindings = new PgBindingStore(pg.db, nodeId, pathFor);
  return {
    // The mirror is current: no time-to-live cache in front of it.
    tenants: new TenantDirectory(mirror, { ttlMs: 0 }),
    bindings,
    elsewhere: remoteBindings(mirror, nodeId),
    clusterNode: clusterNodeAt(mirror),
    listening: () => bindings.repath(),
    trunks: new TrunkDirectory(mirror, tokenSecret),
    minutes: { minutes, otherNodes },
    domains: mirror,
    calls: createPgCallStore(pg.db, {
      onError: (err: unknown) => callsLog.error({ err }, "recording failed"),
    }),
    // A call needs the directory (a stale mirror may route wrongly) and a reachable database.
    canAcceptCalls: () => !mirror.stale && database.readiness().ok,
    close: () => mirror.stop(),
    directoryCurrent: () => !mirror.stale,
    caughtUp: () => mirror.caughtUp(),
  };
}
