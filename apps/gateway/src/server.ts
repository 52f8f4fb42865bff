/**
 * Composes one Hookline process (SPEC §2): the database, then the roles HOOKLINE_ROLES names, all
 * three by default. `gateway`: SIP, B2BUA, media, registrar, and the callback engine accepting
 * their events (roles/gateway-role.ts); `console`: the web console and REST API; `delivery`: the
 * callback dispatcher. Every process serves /healthz, /readyz and /metrics on its HTTP port and
 * announces itself in the nodes table (cluster/presence.ts). `main.ts` runs it from the command
 * line; tests start it in-process.
 */
import { mkdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { createCallbackEngine, EventBus, parseAllowlist, type CallbackEngine } from "@hookline/callbacks";
import { log } from "@hookline/log";
import { listClusterNodes, type Store, type WriteHealthOptions } from "@hookline/db";
import { ensureOperatorToken, ensureTokenSecret } from "@hookline/auth-tokens";
import { createConsoleApp, databaseGuard, notFoundResponse } from "@hookline/console";
import { NodePresence } from "./cluster/presence.js";
import { openProcessDatabase, type ProcessDatabase } from "./database.js";
import type { Config } from "./config.js";
import type { Gateway } from "./gateway.js";
import { healthRoutes } from "./health.js";
import { HooklineMetrics } from "./metrics.js";
import { startGatewayRole, type GatewayRole } from "./roles/gateway-role.js";
import type { TrunkHealthSettings } from "./trunks/trunk-guards.js";

/** This package's version, announced in the nodes table. */
const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export interface Hookline {
  readonly config: Config;
  /**
   * `metrics`: the port of HOOKLINE_METRICS_LISTEN, when set; `tls`: SIP over TLS, with a
   * certificate; `sip` and `ws` are 0 without the gateway role (nothing listens).
   */
  readonly ports: { http: number; sip: number; ws: number; tls?: number; metrics?: number };
  readonly operatorToken: { token: string; created: boolean };
  /** Absent without the gateway role. */
  readonly gateway: Gateway | undefined;
  /** This node in the nodes table: its heartbeats and its watch over the others'. */
  readonly presence: NodePresence;
  readonly bus: EventBus;
  readonly callbacks: CallbackEngine;
  /** The database, SQLite or PostgreSQL (database.ts). */
  readonly database: ProcessDatabase;
  /** `database`'s Store, which every part of this process uses. */
  readonly store: Store;
  /**
   * Writes the call records queued for the next batch (before an abrupt exit). SQLite: waits at
   * most 5 s; PostgreSQL: the returned promise settles once they are written.
   */
  flushCallRecords(): void | Promise<void>;
  /** Graceful: new calls get 503, calls may finish until `deadlineMs`, the rest get BYE. */
  close(deadlineMs?: number): Promise<void>;
}

/** Test and tuning knobs that are not part of the public configuration. */
export interface StartOptions {
  retrySchedule?: readonly number[];
  ringTimeoutMs?: number;
  /** The database write health's probe and log intervals. */
  writeHealth?: WriteHealthOptions;
  /** Trunk OPTIONS pings (trunks/health.ts has the defaults) and how soon trunk edits are followed. */
  trunkHealth?: TrunkHealthSettings;
}

export async function startHookline(config: Config, options: StartOptions = {}): Promise<Hookline> {
  const roles = new Set(config.roles);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openProcessDatabase(config.database, {
    ...(options.writeHealth && { writeHealth: options.writeHealth }),
  });
  const { store } = database;
  const operatorToken = ensureOperatorToken(config.dataDir, config.adminToken);
  const tokenSecret = ensureTokenSecret(config.dataDir);
  const allowlist = parseAllowlist(config.callbackAllowlist);
  if (!allowlist.ok) throw new Error(`HOOKLINE_CALLBACK_ALLOWLIST: ${allowlist.error}`);

  const bus = new EventBus();
  const metrics = new HooklineMetrics();
  // Every node accepts events (its gateway's, and the call.failed of a lost node's calls it ends);
  // only a delivery node sends them. Accepted events wait in the shared outbox for one that does.
  const callbacks = createCallbackEngine({
    ...(database.dialect === "sqlite"
      ? { db: database.sqlite.db }
      : { db: database.pg.db, postgres: { node: config.nodeId } }),
    bus,
    deliver: roles.has("delivery"),
    onAttempt: (info) => metrics.attempt(info),
    allowlist: allowlist.allowlist,
    ...(options.retrySchedule && { retrySchedule: options.retrySchedule }),
  });
  callbacks.start();

  const presence = new NodePresence({
    store,
    accept: (event) => callbacks.accept(event),
    id: config.nodeId,
    roles: config.roles,
    version: VERSION,
    heartbeatMs: config.heartbeatMs,
    logger: log.child({ component: "cluster", node: config.nodeId }),
  });
  // Before this node records a call under its id: a live twin is refused, leftovers are ended.
  try {
    await presence.claimId();
  } catch (err) {
    await callbacks.stop({ deadlineMs: 0 });
    await database.close();
    throw err;
  }

  let gatewayRole: GatewayRole | undefined;
  try {
    gatewayRole = roles.has("gateway")
      ? await startGatewayRole({
          config,
          database,
          store,
          bus,
          tokenSecret,
          allowlist: allowlist.allowlist,
          ringTimeoutMs: options.ringTimeoutMs,
          trunkHealth: options.trunkHealth,
        })
      : undefined;
  } catch (err) {
    await presence.stop().catch(() => undefined);
    await callbacks.stop({ deadlineMs: 0 });
    await database.close();
    throw err;
  }
  const gateway = gatewayRole?.gateway;
  const cluster = () => listClusterNodes(store, Date.now());
  metrics.attach({ gateway: gatewayRole, bus, database, cluster });
  const metricsServer = config.metricsListen
    ? await metrics.listen(config.metricsListen.host, config.metricsListen.port)
    : undefined;

  let draining = false;
  const root = new Hono();
  // A mounted app's notFound is not the root's: without this, misses answer plain text (SPEC §3).
  root.notFound(notFoundResponse);
  root.route(
    "/",
    healthRoutes({
      database,
      gateway,
      media: gatewayRole?.media,
      directoryCurrent: gatewayRole?.directoryCurrent,
      callbacks,
      draining: () => draining,
    }),
  );
  root.route("/", metrics.routes(operatorToken.token));
  if (roles.has("console")) {
    const consoleApp = createConsoleApp({
      store,
      ...gatewayRole?.console,
      config: {
        operatorToken: operatorToken.token,
        tokenSecret,
        callbackAllowlist: config.callbackAllowlist,
        sipWsPort: gateway?.ports.ws ?? config.sipWsPort,
      },
    });
    // A full or failing disk stops API writes with 503 (SQLite's write health); PostgreSQL's own
    // errors answer 500 and its unreachability shows in /readyz.
    if (database.dialect === "sqlite") root.use("/v1/*", databaseGuard(database.sqlite.health));
    root.route("/", consoleApp);
  }
  const http: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: root.fetch, port: config.httpPort, hostname: config.listenIp }, () =>
      resolve(s),
    );
  });
  const httpPort = (http.address() as AddressInfo).port;
  await presence.announce({
    httpAddress: `${config.publicIp}:${httpPort}`,
    ...(gateway && { sipAddress: `${config.publicIp}:${gateway.ports.sip}` }),
  });

  let closed: Promise<void> | undefined;
  return {
    config,
    ports: {
      http: httpPort,
      sip: 0,
      ws: 0,
      ...gateway?.ports,
      ...(metricsServer && { metrics: metricsServer.port }),
    },
    operatorToken,
    gateway,
    presence,
    bus,
    callbacks,
    database,
    store,
    flushCallRecords: () => gatewayRole?.flushCallRecords(),
    close(deadlineMs = 0) {
      closed ??= (async () => {
        draining = true;
        await gatewayRole?.stop(deadlineMs);
        // Its calls have ended: the node leaves the table instead of turning lost.
        await presence.stop().catch((err: unknown) => log.error({ err }, "leaving the cluster failed"));
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          (http as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await metricsServer?.close();
        await callbacks.stop({ deadlineMs: 2000 });
        await gatewayRole?.release();
        await database.close();
      })();
      return closed;
    },
  };
}
