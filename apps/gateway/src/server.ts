/**
 * Composes one Hookline process (SPEC §2): database, console + REST API over HTTP, the SIP gateway
 * and the mediasoup workers. `main.ts` runs it from the command line; tests start it in-process.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { createCallbackEngine, EventBus, parseAllowlist, type CallbackEngine } from "@hookline/callbacks";
import { log } from "@hookline/log";
import { openDatabase, type OpenedDatabase, type WriteHealthOptions } from "@hookline/db";
import { ensureOperatorToken, ensureTokenSecret } from "@hookline/auth-tokens";
import { createConsoleApp, databaseGuard, notFoundResponse } from "@hookline/console";
import { ApplicationHookClient } from "./application/hook-client.js";
import { applicationConfigReader, startCall } from "./application/outbound.js";
import { ApplicationRouter } from "./application/router.js";
import { SipAuthenticator } from "./auth/sip-authenticator.js";
import { CallRecorder } from "./b2bua/call-recorder.js";
import type { Config } from "./config.js";
import { Gateway } from "./gateway.js";
import { healthRoutes } from "./health.js";
import { HooklineMetrics } from "./metrics.js";
import { registerSipCallback } from "./hooks/sip-callback-header.js";
import { callbackEventOf } from "./media/media-events.js";
import { MediaThread } from "./media/media-thread.js";
import { LocationService } from "./registrar/location-service.js";
import { Registrar } from "./registrar/registrar.js";
import { createCallDirectory } from "./tenancy/call-directory.js";
import { TenantDirectory } from "./tenancy/tenant-directory.js";
import { InboundTrunkGate } from "./trunks/inbound.js";
import { TrunkCalls } from "./trunks/outbound.js";
import type { OptionsStack } from "./trunks/health-options.js";
import { TrunkDirectory } from "./trunks/trunk-directory.js";
import { TrunkGuards, type TrunkHealthSettings } from "./trunks/trunk-guards.js";

export interface Hookline {
  readonly config: Config;
  /** `metrics`: the port of HOOKLINE_METRICS_LISTEN, when set; `tls`: SIP over TLS, with a certificate. */
  readonly ports: { http: number; sip: number; ws: number; tls?: number; metrics?: number };
  readonly operatorToken: { token: string; created: boolean };
  readonly gateway: Gateway;
  readonly bus: EventBus;
  readonly callbacks: CallbackEngine;
  /** The database (tests fill it: fillDatabase in @hookline/db). */
  readonly database: OpenedDatabase;
  /** Writes the call records queued for the next batch (before an abrupt exit); waits at most 5 s. */
  flushCallRecords(): void;
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
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = openDatabase({
    file: config.databaseFile,
    backgroundCheckpoints: true,
    ...(options.writeHealth && { writeHealth: options.writeHealth }),
  });
  const db = database.db;
  const operatorToken = ensureOperatorToken(config.dataDir, config.adminToken);
  const tokenSecret = ensureTokenSecret(config.dataDir);
  const allowlist = parseAllowlist(config.callbackAllowlist);
  if (!allowlist.ok) throw new Error(`HOOKLINE_CALLBACK_ALLOWLIST: ${allowlist.error}`);

  const bus = new EventBus();
  const metrics = new HooklineMetrics();
  const callbacks = createCallbackEngine({
    db,
    bus,
    onAttempt: (info) => metrics.attempt(info),
    allowlist: allowlist.allowlist,
    ...(options.retrySchedule && { retrySchedule: options.retrySchedule }),
  });
  callbacks.start();

  const tenants = new TenantDirectory(db);
  // The nonce key is the token secret's sibling: stable across restarts so nonces stay valid.
  const authenticator = new SipAuthenticator({ directory: tenants, secret: `nonce:${tokenSecret}` });
  const locations = new LocationService({ db, bus });
  locations.restore();
  locations.start();
  const registrar = new Registrar({ tenants, authenticator, locations });

  const media = await MediaThread.start({
    pool: {
      ...(config.mediaWorkers !== undefined && { size: config.mediaWorkers }),
      rtcMinPort: config.rtpMin,
      rtcMaxPort: config.rtpMax,
    },
    media: { listenIp: config.listenIp, announcedIp: config.publicIp },
    onWorkerDied: (pid, err) => log.error({ component: "media", pid, err }, "mediasoup worker died"),
  });

  const recorder = new CallRecorder(db, bus, { writerThread: true });
  const directory = createCallDirectory({ tenants, authenticator, locations });
  const hooks = new ApplicationHookClient({
    allowlist: allowlist.allowlist,
    logger: log.child({ component: "application" }),
  });
  const trunkDirectory = new TrunkDirectory(db, tokenSecret);
  // The trunk guards: target health by OPTIONS and toll-fraud admission (trunks/ports.ts).
  const trunkGuards = new TrunkGuards({
    db,
    directory: trunkDirectory,
    publish: (e) => bus.publish(e),
    stack: (): OptionsStack => gateway,
    health: options.trunkHealth,
  });
  const trunkCalls = new TrunkCalls({
    directory: trunkDirectory,
    health: trunkGuards.health,
    admission: trunkGuards.fraud,
    onCallAnswered: (c) => trunkGuards.fraud.onCallAnswered(c),
  });
  const router = new ApplicationRouter({
    directory,
    hooks,
    config: applicationConfigReader(db),
    ringTimeoutMs: options.ringTimeoutMs ?? 60_000,
    trunks: trunkCalls,
  });
  const trunks = new InboundTrunkGate({
    directory: trunkDirectory,
    isTenantDomain: (host) => tenants.domain(host) !== undefined,
    secret: `trunk-nonce:${tokenSecret}`,
    logger: log.child({ component: "trunks" }),
  });
  const gateway = new Gateway({
    listenIp: config.listenIp,
    publicIp: config.publicIp,
    sipPort: config.sipPort,
    wsPort: config.sipWsPort,
    wsAllowedOrigins: config.wsAllowedOrigins,
    wsLimits: config.wsLimits,
    tls: config.tls,
    tlsPort: config.sipTlsPort,
    tlsCaFile: config.tlsCaFile,
    directory,
    registrar,
    router,
    trunks,
    recorder,
    media,
    ...(options.ringTimeoutMs !== undefined && { ringTimeoutMs: options.ringTimeoutMs }),
    // A call the database cannot record would run without its records and callbacks: 503.
    canAcceptCalls: () => database.health.writable,
    onNewCall: async (call, invite) => {
      const outcome = await registerSipCallback(
        // The per-call callback row refers to the call's row, which is written in a later batch.
        { db, tokenSecret, allowlist: allowlist.allowlist, beforeRegister: () => recorder.flush() },
        call,
        invite,
      );
      if (outcome && "refused" in outcome) {
        log.warn(
          { component: "callbacks", callId: call.id, accountId: call.accountId, refused: outcome.refused },
          "in-SIP callback refused",
        );
      }
    },
  });
  media.setEndCall((id, reason) => gateway.b2bua.endCall(id, reason));
  // SPEC §4 media.started / media.timeout, published in the call's seq order.
  media.setOnEvent((e) => {
    const cb = callbackEventOf(e);
    if (cb) recorder.media(e.callId, cb.type, cb.media);
  });
  await gateway.start();
  trunkGuards.start();
  metrics.attach({ gateway, locations, media, bus, database });
  const metricsServer = config.metricsListen
    ? await metrics.listen(config.metricsListen.host, config.metricsListen.port)
    : undefined;

  const consoleApp = createConsoleApp({
    db,
    flushCallRecords: () => recorder.flush(),
    trunkHealth: (trunkId) => trunkGuards.healthOf(trunkId),
    startCall: (accountId, input) =>
      startCall({ db, b2bua: gateway.b2bua, directory, router, trunks: trunkCalls }, accountId, input),
    config: {
      operatorToken: operatorToken.token,
      tokenSecret,
      callbackAllowlist: config.callbackAllowlist,
      sipWsPort: gateway.ports.ws,
    },
  });

  let draining = false;
  const root = new Hono();
  // A mounted app's notFound is not the root's: without this, misses answer plain text (SPEC §3).
  root.notFound(notFoundResponse);
  root.route("/", healthRoutes({ database, gateway, media, callbacks, draining: () => draining }));
  root.route("/", metrics.routes(operatorToken.token));
  root.use("/v1/*", databaseGuard(database.health));
  root.route("/", consoleApp);
  const http: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: root.fetch, port: config.httpPort, hostname: config.listenIp }, () =>
      resolve(s),
    );
  });

  let closed: Promise<void> | undefined;
  return {
    config,
    ports: {
      http: (http.address() as AddressInfo).port,
      ...gateway.ports,
      ...(metricsServer && { metrics: metricsServer.port }),
    },
    operatorToken,
    gateway,
    bus,
    callbacks,
    database,
    flushCallRecords: () => recorder.flush(),
    close(deadlineMs = 0) {
      closed ??= (async () => {
        draining = true;
        trunkGuards.stop();
        await gateway.stop(deadlineMs);
        locations.stop();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          (http as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await metricsServer?.close();
        await callbacks.stop({ deadlineMs: 2000 });
        await hooks.close();
        await media.close();
        recorder.close();
        database.close();
      })();
      return closed;
    },
  };
}
