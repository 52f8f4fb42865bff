/**
 * Composes one Hookline process (SPEC §2): database, console + REST API over HTTP, the SIP gateway
 * and the mediasoup workers. `main.ts` runs it from the command line; tests start it in-process.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { openDatabase } from "@hookline/db";
import { createConsoleApp, ensureOperatorToken, ensureTokenSecret } from "@hookline/console";
import type { Config } from "./config.js";
import { Gateway } from "./gateway.js";
import { WorkerPool } from "./media/worker-pool.js";

export interface Hookline {
  readonly config: Config;
  readonly ports: { http: number; sip: number; ws: number };
  readonly operatorToken: { token: string; created: boolean };
  readonly gateway: Gateway;
  close(): Promise<void>;
}

export async function startHookline(config: Config): Promise<Hookline> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = openDatabase({ file: config.databaseFile });
  const operatorToken = ensureOperatorToken(config.dataDir, config.adminToken);
  const consoleApp = createConsoleApp({
    db: database.db,
    config: {
      operatorToken: operatorToken.token,
      tokenSecret: ensureTokenSecret(config.dataDir),
      callbackAllowlist: config.callbackAllowlist,
    },
  });

  const media = new WorkerPool({
    ...(config.mediaWorkers !== undefined && { size: config.mediaWorkers }),
    rtcMinPort: config.rtpMin,
    rtcMaxPort: config.rtpMax,
    onWorkerDied: (pid, err) => console.error(`[media] worker ${pid} died: ${err.message}`),
  });
  await media.start();

  const gateway = new Gateway({
    listenIp: config.listenIp,
    sipPort: config.sipPort,
    wsPort: config.sipWsPort,
    wsAllowedOrigins: config.wsAllowedOrigins,
    tls: config.tls,
  });
  await gateway.start();

  const root = new Hono();
  root.get("/healthz", (c) => {
    const parts = {
      database: safe(() => database.sqlite.prepare("select 1 as ok").get() !== undefined),
      sip: gateway.ports.sip > 0,
      websocket: gateway.ports.ws > 0,
      media: media.size > 0,
    };
    const ok = Object.values(parts).every(Boolean);
    return c.json(
      {
        status: ok ? "ok" : "degraded",
        parts,
        sip: {
          ...gateway.stack.stats,
          tcpConnections: gateway.transports.tcp.connectionCount,
          wsConnections: gateway.transports.ws.connectionCount,
        },
        mediaWorkers: media.pids(),
      },
      ok ? 200 : 503,
    );
  });
  root.route("/", consoleApp);
  const http: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: root.fetch, port: config.httpPort, hostname: config.listenIp }, () =>
      resolve(s),
    );
  });

  let closed: Promise<void> | undefined;
  return {
    config,
    ports: { http: (http.address() as AddressInfo).port, ...gateway.ports },
    operatorToken,
    gateway,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await gateway.stop();
        await media.close();
        database.close();
      })();
      return closed;
    },
  };
}

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}
