/**
 * Hookline's settings (SPEC §2), read once from the environment with the embedded defaults.
 * An invalid value is an error at start naming the variable, never a silent fallback.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { NODE_ROLES, type NodeRole } from "@hookline/db";

export interface Config {
  httpPort: number;
  sipWsPort: number;
  sipPort: number;
  /** HOOKLINE_SIP_TLS_PORT: SIP over TLS, listened on only with a certificate (`tls`). */
  sipTlsPort: number;
  rtpMin: number;
  rtpMax: number;
  listenIp: string;
  publicIp: string;
  dataDir: string;
  /**
   * HOOKLINE_DATABASE_URL: a SQLite file (the default, `hookline.db` in the data folder) or a
   * `postgres://` URL shared by several nodes (docs/scale-out.md).
   */
  database: DatabaseLocation;
  adminToken: string | undefined;
  callbackAllowlist: string[];
  wsAllowedOrigins: string[];
  /** HOOKLINE_WS_MAX_CONNECTIONS / _PER_SOURCE: WebSocket connections admitted in all / per address. */
  wsLimits: { maxConnections: number; maxConnectionsPerSource: number };
  tls: { certFile: string; keyFile: string } | undefined;
  /** HOOKLINE_TLS_CA: a PEM file of CAs trusted beside the system's for outbound SIP over TLS. */
  tlsCaFile: string | undefined;
  mediaWorkers: number | undefined;
  /** HOOKLINE_SHUTDOWN_DEADLINE_MS: how long calls in progress may finish after SIGTERM. */
  shutdownDeadlineMs: number;
  /** HOOKLINE_METRICS_LISTEN (`host:port`): /metrics without a token on an address of its own. */
  metricsListen: { host: string; port: number } | undefined;
  /** HOOKLINE_ROLES: the parts this process runs, in NODE_ROLES order; all three by default. */
  roles: readonly NodeRole[];
  /** HOOKLINE_NODE_ID: this node's id in the cluster, stable across restarts (see defaultNodeId). */
  nodeId: string;
  /** HOOKLINE_HEARTBEAT_MS: how often the node announces itself; lost after three missed. */
  heartbeatMs: number;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
}

type Env = Record<string, string | undefined>;

/** Media workers beyond this are a typo, not a machine (one per core is the default). */
const MAX_MEDIA_WORKERS = 256;
/** A day: a drain longer than that is a typo too (and stays below setTimeout's limit). */
const MAX_SHUTDOWN_DEADLINE_MS = 86_400_000;

/** A decimal integer in [min, max], else a ConfigError that names the variable and the range. */
function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}: must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

/** 0 asks the system for a free port (tests). */
function port(env: Env, name: string, fallback: number): number {
  return integer(env, name, fallback, 0, 65535);
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function hostPort(env: Env, name: string): { host: string; port: number } | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(raw);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new ConfigError(
      `${name}: must be host:port with a port from 0 to 65535, e.g. 127.0.0.1:9090 (got "${raw}")`,
    );
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** A readable PEM file with at least one certificate, else a ConfigError naming the variable. */
function pemFile(env: Env, name: string): string | undefined {
  const file = env[name];
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----"))
    throw new ConfigError(`${name}: ${file} holds no PEM certificate`);
  return path.resolve(file);
}

function roles(env: Env): NodeRole[] {
  const given = list(env, "HOOKLINE_ROLES");
  if (given.length === 0) return [...NODE_ROLES];
  for (const r of given) {
    if (!(NODE_ROLES as readonly string[]).includes(r)) {
      throw new ConfigError(
        `HOOKLINE_ROLES: unknown role "${r}" (a comma-separated list of ${NODE_ROLES.join(", ")})`,
      );
    }
  }
  return NODE_ROLES.filter((r) => given.includes(r));
}

/** Letters, digits and `._:/-`, up to 128: safe in a log line, a metric label and a URL path. */
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Derived, not generated and saved: processes sharing one data folder (the natural way to share
 * one SQLite file and the operator token) would otherwise share the saved id. The host name, the
 * listen address and the port of the node's first role tell apart the processes of one machine,
 * and stay the same across restarts. A delivery-only node listens on nothing: two on one host need
 * HOOKLINE_NODE_ID each (a twin with a live heartbeat is refused at start, cluster/presence.ts).
 */
export function defaultNodeId(
  host: string,
  c: Pick<Config, "roles" | "listenIp" | "sipPort" | "httpPort">,
): string {
  const name = host.replace(/[^A-Za-z0-9.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "node";
  const where = c.roles.includes("gateway")
    ? `${c.listenIp}:${c.sipPort}`
    : c.roles.includes("console")
      ? `${c.listenIp}:${c.httpPort}`
      : "delivery";
  return `${name}/${where}`.slice(0, 128);
}

function nodeId(env: Env, fallback: () => string): string {
  const raw = env.HOOKLINE_NODE_ID;
  if (raw === undefined || raw === "") return fallback();
  if (!NODE_ID.test(raw)) {
    throw new ConfigError(
      `HOOKLINE_NODE_ID: up to 128 letters, digits and . _ : / -, starting with a letter or digit (got "${raw}")`,
    );
  }
  return raw;
}

export type DatabaseLocation = { dialect: "sqlite"; file: string } | { dialect: "postgres"; url: string };

function databaseLocation(raw: string | undefined, dataDir: string): DatabaseLocation {
  if (!raw) return { dialect: "sqlite", file: path.join(dataDir, "hookline.db") };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError("HOOKLINE_DATABASE_URL: not a valid postgres:// URL");
    }
    return { dialect: "postgres", url: raw };
  }
  if (raw.startsWith("file:") || raw.endsWith(".db"))
    return { dialect: "sqlite", file: path.resolve(raw.replace(/^file:/, "")) };
  throw new ConfigError(
    `HOOKLINE_DATABASE_URL: a SQLite file (file:... or ....db) or a postgres:// URL (got ${raw.split(":")[0]}:)`,
  );
}

export function loadConfig(env: Env = process.env): Config {
  const listenIp = env.HOOKLINE_LISTEN_IP || "127.0.0.1";
  const dataDir = path.resolve(env.HOOKLINE_DATA_DIR || "./data");
  const database = databaseLocation(env.HOOKLINE_DATABASE_URL, dataDir);
  // RTP needs real ports: 0 would not give mediasoup a range.
  const rtpMin = integer(env, "HOOKLINE_RTP_MIN", 40000, 1, 65535);
  const rtpMax = integer(env, "HOOKLINE_RTP_MAX", 49999, 1, 65535);
  if (rtpMax <= rtpMin)
    throw new ConfigError(`HOOKLINE_RTP_MAX: must be above HOOKLINE_RTP_MIN (${rtpMin}), got ${rtpMax}`);
  const cert = env.HOOKLINE_TLS_CERT;
  const key = env.HOOKLINE_TLS_KEY;
  if (Boolean(cert) !== Boolean(key))
    throw new ConfigError("HOOKLINE_TLS_CERT and HOOKLINE_TLS_KEY go together");
  const workers = env.HOOKLINE_MEDIA_WORKERS
    ? integer(env, "HOOKLINE_MEDIA_WORKERS", 0, 1, MAX_MEDIA_WORKERS)
    : undefined;
  const httpPort = port(env, "HOOKLINE_HTTP_PORT", 3000);
  const sipPort = port(env, "HOOKLINE_SIP_PORT", 5060);
  const chosenRoles = roles(env);
  return {
    httpPort,
    sipWsPort: port(env, "HOOKLINE_SIP_WS_PORT", 5066),
    sipPort,
    sipTlsPort: port(env, "HOOKLINE_SIP_TLS_PORT", 5061),
    rtpMin,
    rtpMax,
    listenIp,
    publicIp: env.HOOKLINE_PUBLIC_IP || listenIp,
    dataDir,
    database,
    adminToken: env.HOOKLINE_ADMIN_TOKEN || undefined,
    callbackAllowlist: list(env, "HOOKLINE_CALLBACK_ALLOWLIST"),
    wsAllowedOrigins: list(env, "HOOKLINE_WS_ORIGINS"),
    wsLimits: {
      maxConnections: integer(env, "HOOKLINE_WS_MAX_CONNECTIONS", 10_000, 1, 1_000_000),
      maxConnectionsPerSource: integer(env, "HOOKLINE_WS_MAX_PER_SOURCE", 256, 1, 1_000_000),
    },
    tls: cert && key ? { certFile: cert, keyFile: key } : undefined,
    tlsCaFile: pemFile(env, "HOOKLINE_TLS_CA"),
    mediaWorkers: workers,
    shutdownDeadlineMs: integer(env, "HOOKLINE_SHUTDOWN_DEADLINE_MS", 30_000, 0, MAX_SHUTDOWN_DEADLINE_MS),
    metricsListen: hostPort(env, "HOOKLINE_METRICS_LISTEN"),
    roles: chosenRoles,
    nodeId: nodeId(env, () => defaultNodeId(hostname(), { roles: chosenRoles, listenIp, sipPort, httpPort })),
    // From 50 ms (tests) to 10 minutes: a node is lost after three missed.
    heartbeatMs: integer(env, "HOOKLINE_HEARTBEAT_MS", 5000, 50, 600_000),
  };
}
