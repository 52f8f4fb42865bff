/**
 * `/metrics` in the Prometheus text format (docs/operations.md lists what each metric means).
 * Readable with the operator token (`Authorization: Bearer`) on the HTTP port, or without one on
 * an address of its own (HOOKLINE_METRICS_LISTEN, e.g. 127.0.0.1:9090) that only the scraper
 * reaches. Counters follow the SIP stack and the event bus; gauges are read at scrape time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { AttemptInfo, EventBus } from "@hookline/callbacks";
import { count, eq, first, min, type ClusterNodeView } from "@hookline/db";
import { getCSeq, type SipMessage } from "@hookline/sip-core";
import type { ProcessDatabase } from "./database.js";
import type { Gateway } from "./gateway.js";
import type { MediaThread } from "./media/media-thread.js";
import type { LocationService } from "./registrar/location-service.js";

/** Methods counted by name; anything else is `other`, so a peer cannot grow the label set. */
const METHODS = new Set([
  "INVITE",
  "ACK",
  "BYE",
  "CANCEL",
  "OPTIONS",
  "REGISTER",
  "INFO",
  "MESSAGE",
  "NOTIFY",
  "UPDATE",
  "PRACK",
  "REFER",
  "SUBSCRIBE",
  "PUBLISH",
]);

export interface MetricsSources {
  /** The gateway role's parts; absent without it (config.ts HOOKLINE_ROLES). */
  gateway?: { gateway: Gateway; locations: LocationService; media: MediaThread } | undefined;
  bus: EventBus;
  database: ProcessDatabase;
  /** The cluster's nodes as the nodes table says now (cluster/presence.ts writes it). */
  cluster: () => Promise<ClusterNodeView[]>;
}

export class HooklineMetrics {
  readonly registry = new Registry();
  readonly #sip = new Counter({
    name: "hookline_sip_messages_total",
    help: "SIP messages received (well-formed) and sent, by method and, for responses, status",
    labelNames: ["direction", "method", "status"] as const,
    registers: [this.registry],
  });
  /** The series of `#sip` by "direction method status": labelling per message hashed the labels each time. */
  readonly #sipSeries = new Map<string, { inc(): void }>();
  readonly #calls = new Counter({
    name: "hookline_calls_total",
    help: "Calls started (call.initiated); its rate is calls per second",
    registers: [this.registry],
  });
  readonly #ended = new Counter({
    name: "hookline_calls_ended_total",
    help: "Calls ended, by outcome (completed, failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #attempts = new Counter({
    name: "hookline_callback_attempts_total",
    help: "Callback delivery attempts, by outcome (success, retryable, permanent, gone)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #deliveries = new Counter({
    name: "hookline_callback_deliveries_total",
    help: "Callback deliveries finished, by outcome (succeeded, failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The callback engine's onAttempt. */
  attempt(info: AttemptInfo): void {
    this.#attempts.inc({ outcome: info.outcome });
    if (info.final) this.#deliveries.inc({ outcome: info.outcome === "success" ? "succeeded" : "failed" });
  }

  /** Starts following the parts once they exist; gauges read them at scrape time. */
  attach(s: MetricsSources): void {
    s.bus.on("call", (e) => {
      if (e.type === "call.initiated") this.#calls.inc();
      else if (e.type === "call.completed" || e.type === "call.failed")
        this.#ended.inc({ outcome: e.type.slice(5) });
    });
    const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(await read());
        },
      });
    if (s.gateway) this.#attachGateway(s.gateway, gauge);
    this.#attachCluster(s.cluster);
    gauge("hookline_database_writable", "1 while the database writes, 0 while it cannot", () =>
      s.database.readiness().ok ? 1 : 0,
    );
    // One query per scrape for both gauges; a database out of reach gives NaN, not a failed scrape.
    let scrape: Promise<{ n: number; oldest: number | null } | undefined> | undefined;
    const outbox = () => {
      scrape ??= (async () => {
        const { db, t } = s.database.store;
        const { deliveries } = t;
        return first(
          await db
            .select({ n: count(), oldest: min(deliveries.createdAt) })
            .from(deliveries)
            .where(eq(deliveries.status, "pending")),
        );
      })()
        .catch(() => ({ n: Number.NaN, oldest: null }))
        .finally(() => setImmediate(() => (scrape = undefined)));
      return scrape;
    };
    gauge(
      "hookline_outbox_pending",
      "Callback deliveries waiting to be sent or retried",
      async () => (await outbox())?.n ?? 0,
    );
    gauge(
      "hookline_outbox_oldest_age_seconds",
      "Age of the oldest pending delivery (0 if none)",
      async () => {
        const oldest = (await outbox())?.oldest;
        return oldest == null ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
      },
    );
  }

  #attachGateway(g: NonNullable<MetricsSources["gateway"]>, gauge: GaugeOf): void {
    g.gateway.stack.onMessage = (m, direction) => this.#message(m, direction);
    gauge("hookline_registrations", "SIP registrations (bindings) held now", () => g.locations.size);
    gauge("hookline_calls_in_progress", "Calls not ended yet", () => g.gateway.b2bua.activeCalls);
    gauge(
      "hookline_calls_refused_total",
      "New calls answered 503 because the database could not write (a counter since start)",
      () => g.gateway.refusedCalls,
    );
    gauge("hookline_media_workers", "mediasoup workers alive", () => g.media.size);
    const census = () => g.media.census().catch(() => ({ routers: 0, transports: 0 }));
    gauge(
      "hookline_media_routers",
      "mediasoup routers (one per call with media)",
      async () => (await census()).routers,
    );
    gauge(
      "hookline_media_transports",
      "mediasoup transports (one per leg with media)",
      async () => (await census()).transports,
    );
  }

  /** The cluster from the nodes table: nodes by state, and one info series per node. */
  #attachCluster(cluster: MetricsSources["cluster"]): void {
    const nodes = cluster;
    new Gauge({
      name: "hookline_cluster_nodes",
      help: "Nodes in the nodes table, by state (up: heartbeat fresh; lost: three missed)",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        const all = await nodes();
        for (const state of ["up", "lost"] as const)
          this.set({ state }, all.filter((n) => n.state === state).length);
      },
    });
    new Gauge({
      name: "hookline_cluster_node_info",
      help: "1 per node with its id, roles, version and state; its value is always 1",
      labelNames: ["node", "roles", "version", "state"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const n of await nodes())
          this.set({ node: n.id, roles: n.roles, version: n.version, state: n.state }, 1);
      },
    });
  }

  /** `/metrics` on the main HTTP port: the operator token only. */
  routes(operatorToken: string): Hono {
    const app = new Hono();
    app.get("/metrics", (c) => {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (!token || !sameSecret(token, operatorToken)) {
        return c.json(
          {
            error: {
              code: "unauthorized",
              message: "/metrics takes the operator token (Authorization: Bearer)",
            },
          },
          401,
        );
      }
      return this.#scrape(c);
    });
    return app;
  }

  /** `/metrics` without a token on an address of its own (HOOKLINE_METRICS_LISTEN). */
  async listen(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
    const app = new Hono();
    app.get("/metrics", (c) => this.#scrape(c));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    });
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  async #scrape(c: Context): Promise<Response> {
    const text = await this.registry.metrics();
    return c.body(text, 200, { "content-type": this.registry.contentType });
  }

  #message(m: SipMessage, direction: "received" | "sent"): void {
    const raw = m.kind === "request" ? m.method : (getCSeq(m)?.method ?? "");
    const method = METHODS.has(raw) ? raw : "other";
    const status = m.kind === "response" ? m.status : 0;
    const key = `${direction} ${method} ${status}`;
    let series = this.#sipSeries.get(key);
    if (!series) {
      series = this.#sip.labels({ direction, method, status: status === 0 ? "" : String(status) });
      this.#sipSeries.set(key, series);
    }
    series.inc();
  }
}

type GaugeOf = (name: string, help: string, read: () => number | Promise<number>) => Gauge;

/** Compares digests, so neither the length nor the content of the token leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
