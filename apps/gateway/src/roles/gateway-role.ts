/**
 * The `gateway` role (SPEC §1, §2): SIP transports, registrar and location service, the B2BUA with
 * the application hook and trunks, and the mediasoup workers. Its events go on the process's bus,
 * where the callback engine accepts them (and delivers them too when `delivery` runs here).
 */
import type { Allowlist, EventBus } from "@hookline/callbacks";
import type { Store } from "@hookline/db";
import { log } from "@hookline/log";
import { ApplicationHookClient } from "../application/hook-client.js";
import { applicationConfigReader, startCall } from "../application/outbound.js";
import { ApplicationRouter } from "../application/router.js";
import { SipAuthenticator } from "../auth/sip-authenticator.js";
import { CallRecorder } from "../b2bua/call-recorder.js";
import type { Config } from "../config.js";
import type { ProcessDatabase } from "../database.js";
import { Gateway } from "../gateway.js";
import { registerSipCallback } from "../hooks/sip-callback-header.js";
import { callbackEventOf } from "../media/media-events.js";
import { MediaThread } from "../media/media-thread.js";
import { LocationService } from "../registrar/location-service.js";
import { Registrar } from "../registrar/registrar.js";
import { createCallDirectory } from "../tenancy/call-directory.js";
import { InboundTrunkGate } from "../trunks/inbound.js";
import { TrunkCalls } from "../trunks/outbound.js";
import type { OptionsStack } from "../trunks/health-options.js";
import { TrunkGuards, type TrunkHealthSettings } from "../trunks/trunk-guards.js";
import { FlowTokens } from "../cluster/flow-token.js";
import { Relay } from "../cluster/relay.js";
import { openGatewayStorage, type GatewayStorage } from "./gateway-storage.js";

export interface GatewayRoleDeps {
  config: Config;
  database: ProcessDatabase;
  /** The process's one Store over `database` (server.ts), for the in-SIP callbacks' writes. */
  store: Store;
  bus: EventBus;
  tokenSecret: string;
  allowlist: Allowlist;
  ringTimeoutMs?: number | undefined;
  trunkHealth?: TrunkHealthSettings | undefined;
}

export interface GatewayRole {
  readonly gateway: Gateway;
  readonly media: MediaThread;
  readonly locations: LocationService;
  /** What the console takes from a gateway running in the same process (server.ts composes it). */
  readonly console: {
    flushCallRecords: () => void | Promise<void>;
    trunkHealth: (trunkId: string) => ReturnType<TrunkGuards["healthOf"]>;
    startCall: (
      accountId: string,
      input: Parameters<typeof startCall>[2],
    ) => Promise<ReturnType<typeof startCall>>;
  };
  flushCallRecords(): void | Promise<void>;
  /** False while the directory may miss changes (`/readyz`'s `directory` part). */
  directoryCurrent: () => boolean;
  /** New calls get 503; calls may finish until `deadlineMs`, the rest get BYE; SIP closes. */
  stop(deadlineMs: number): Promise<void>;
  /** After stop: the hook client, the media workers, the call records' writer. */
  release(): Promise<void>;
}

export async function startGatewayRole(d: GatewayRoleDeps): Promise<GatewayRole> {
  // Several gateway nodes share one PostgreSQL: each is the relay for the flows it holds.
  const relay =
    d.database.dialect === "postgres"
      ? new Relay(new FlowTokens(d.tokenSecret), d.config.publicIp)
      : undefined;
  const storage = await openGatewayStorage(
    d.database,
    d.tokenSecret,
    d.config.nodeId,
    relay && ((flow) => relay.pathFor(flow)),
  );
  try {
    return await startRole(d, storage, relay);
  } catch (err) {
    await storage.close();
    throw err;
  }
}

async function startRole(
  d: GatewayRoleDeps,
  storage: GatewayStorage,
  relay: Relay | undefined,
): Promise<GatewayRole> {
  const { config, store, bus, tokenSecret, allowlist } = d;
  const { tenants } = storage;
  // The nonce key is the token secret's sibling: stable across restarts so nonces stay valid.
  const authenticator = new SipAuthenticator({ directory: tenants, secret: `nonce:${tokenSecret}` });
  const locations = new LocationService({ store: storage.bindings, bus });
  await locations.restore();
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

  // Each call row names this node, so another can end its calls if it is lost (cluster/).
  const recorder = new CallRecorder(storage.calls, bus, { writerThread: true, nodeId: config.nodeId });
  const directory = createCallDirectory({ tenants, authenticator, locations, elsewhere: storage.elsewhere });
  const hooks = new ApplicationHookClient({
    allowlist,
    logger: log.child({ component: "application" }),
  });
  const trunkDirectory = storage.trunks;
  // The trunk guards: target health by OPTIONS and toll-fraud admission (trunks/ports.ts).
  const trunkGuards = new TrunkGuards({
    ...storage.minutes,
    directory: trunkDirectory,
    publish: (e) => bus.publish(e),
    stack: (): OptionsStack => gateway,
    health: d.trunkHealth,
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
    config: applicationConfigReader(storage.domains),
    ringTimeoutMs: d.ringTimeoutMs ?? 60_000,
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
    ...(d.ringTimeoutMs !== undefined && { ringTimeoutMs: d.ringTimeoutMs }),
    // A call the database cannot record would run without its records and callbacks: 503.
    canAcceptCalls: () => storage.canAcceptCalls(),
    onNewCall: async (call, invite) => {
      const outcome = await registerSipCallback(
        // The per-call callback row refers to the call's row, which is written in a later batch.
        { store, tokenSecret, allowlist, beforeRegister: () => recorder.flush() },
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
  relay?.attach(gateway, storage.clusterNode);
  await gateway.start();
  await storage.listening();
  trunkGuards.start();

  return {
    gateway,
    media,
    locations,
    console: {
      flushCallRecords: () => recorder.flush(),
      trunkHealth: (trunkId) => trunkGuards.healthOf(trunkId),
      // A trunk or domain the API wrote a moment ago must be found (the mirror is asynchronous).
      startCall: async (accountId, input) => {
        await storage.caughtUp();
        return startCall(
          { db: storage.domains, b2bua: gateway.b2bua, directory, router, trunks: trunkCalls },
          accountId,
          input,
        );
      },
    },
    flushCallRecords: () => recorder.flush(),
    directoryCurrent: () => storage.directoryCurrent(),
    async stop(deadlineMs) {
      trunkGuards.stop();
      await gateway.stop(deadlineMs);
      await locations.stop();
      // The calls' last records, before the node leaves the nodes table (server.ts).
      await recorder.flush();
    },
    async release() {
      await hooks.close();
      await media.close();
      await recorder.close();
      await storage.close();
    },
  };
}
