/**
 * `/healthz` and `/readyz` (docs/operations.md). `/healthz` says the process answers: always 200
 * while it does, with what it is doing (no check can fail it, so a supervisor restarts only a hung
 * process). `/readyz` says whether it should be sent traffic: the database writes, the media plane
 * has workers, the SIP transports are bound and the process is not draining; 503 names each part
 * that fails. Media and transports are parts only of a process running the gateway role.
 */
import { Hono } from "hono";
import type { CallbackEngine } from "@hookline/callbacks";
import type { DatabaseReadiness, ProcessDatabase } from "./database.js";
import type { Gateway } from "./gateway.js";
import type { MediaThread } from "./media/media-thread.js";

export interface HealthSources {
  database: ProcessDatabase;
  /** Absent without the gateway role (config.ts HOOKLINE_ROLES). */
  gateway?: Gateway | undefined;
  media?: MediaThread | undefined;
  /** The gateway's directory (on PostgreSQL a mirror that may be behind); absent without the role. */
  directoryCurrent?: (() => boolean) | undefined;
  callbacks: CallbackEngine;
  /** True once close() began: the process drains and takes no new traffic. */
  draining: () => boolean;
  now?: () => number;
}

export interface ReadyReport {
  status: "ready" | "not ready";
  /** The parts that fail, in the order below. */
  failing: string[];
  parts: {
    database: DatabaseReadiness;
    media?: { ok: boolean; workers: number };
    directory?: { ok: boolean };
    transports?: { ok: boolean; sip: number; ws: number };
    draining: boolean;
  };
}

export function readiness(s: HealthSources): ReadyReport {
  const parts: ReadyReport["parts"] = {
    database: s.database.readiness(),
    ...(s.media && { media: { ok: s.media.size > 0, workers: s.media.size } }),
    ...(s.directoryCurrent && { directory: { ok: s.directoryCurrent() } }),
    ...(s.gateway && { transports: transports(s.gateway.ports) }),
    draining: s.draining(),
  };
  const failing = [
    ...(parts.database.ok ? [] : ["database"]),
    ...(parts.media && !parts.media.ok ? ["media"] : []),
    ...(parts.directory && !parts.directory.ok ? ["directory"] : []),
    ...(parts.transports && !parts.transports.ok ? ["transports"] : []),
    ...(parts.draining ? ["draining"] : []),
  ];
  return { status: failing.length === 0 ? "ready" : "not ready", failing, parts };
}

const transports = ({ sip, ws }: { sip: number; ws: number }) => ({ ok: sip > 0 && ws > 0, sip, ws });

export function healthRoutes(s: HealthSources): Hono {
  const now = s.now ?? Date.now;
  const startedAt = now();
  const app = new Hono();
  app.get("/healthz", (c) => {
    const { gateway, media, callbacks, database } = s;
    return c.json({
      status: "ok",
      uptimeSec: Math.round((now() - startedAt) / 1000),
      ...(gateway && {
        sip: {
          ...gateway.stack.stats,
          tcpConnections: gateway.transports.tcp.connectionCount,
          wsConnections: gateway.transports.ws.connectionCount,
          refusedCalls: gateway.refusedCalls,
        },
        calls: gateway.b2bua.activeCalls,
      }),
      ...(media && { mediaWorkers: media.pids() }),
      callbacks: callbacks.stats(),
      ...(database.dialect === "sqlite" &&
        database.sqlite.checkpointer && { walCheckpoints: database.sqlite.checkpointer.stats }),
    });
  });
  app.get("/readyz", (c) => {
    const report = readiness(s);
    return c.json(report, report.status === "ready" ? 200 : 503);
  });
  return app;
}
