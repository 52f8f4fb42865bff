/**
 * Hookline's settings (SPEC §2), read once from the environment with the embedded defaults.
 * An invalid value is an error at start naming the variable, never a silent fallback.
 */
import path from "node:path";

export interface Config {
  httpPort: number;
  sipWsPort: number;
  sipPort: number;
  rtpMin: number;
  rtpMax: number;
  listenIp: string;
  publicIp: string;
  dataDir: string;
  databaseFile: string;
  adminToken: string | undefined;
  callbackAllowlist: string[];
  wsAllowedOrigins: string[];
  tls: { certFile: string; keyFile: string } | undefined;
  mediaWorkers: number | undefined;
  /** HOOKLINE_METRICS_LISTEN (`host:port`): /metrics without a token on an address of its own. */
  metricsListen: { host: string; port: number } | undefined;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name}: not a port number: ${raw}`);
  return n;
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
  if (!m || port > 65535) throw new ConfigError(`${name}: not host:port (e.g. 127.0.0.1:9090): ${raw}`);
  return { host: (m[1] ?? m[2])!, port };
}

export function loadConfig(env: Env = process.env): Config {
  const listenIp = env.HOOKLINE_LISTEN_IP || "127.0.0.1";
  const dataDir = path.resolve(env.HOOKLINE_DATA_DIR || "./data");
  const dbUrl = env.HOOKLINE_DATABASE_URL;
  if (dbUrl && !dbUrl.startsWith("file:") && !dbUrl.endsWith(".db")) {
    throw new ConfigError(
      `HOOKLINE_DATABASE_URL: only SQLite files are supported yet (got ${dbUrl.split(":")[0]}:)`,
    );
  }
  const rtpMin = port(env, "HOOKLINE_RTP_MIN", 40000);
  const rtpMax = port(env, "HOOKLINE_RTP_MAX", 49999);
  if (rtpMax <= rtpMin) throw new ConfigError("HOOKLINE_RTP_MAX: must be above HOOKLINE_RTP_MIN");
  const cert = env.HOOKLINE_TLS_CERT;
  const key = env.HOOKLINE_TLS_KEY;
  if (Boolean(cert) !== Boolean(key))
    throw new ConfigError("HOOKLINE_TLS_CERT and HOOKLINE_TLS_KEY go together");
  const workers = env.HOOKLINE_MEDIA_WORKERS;
  return {
    httpPort: port(env, "HOOKLINE_HTTP_PORT", 3000),
    sipWsPort: port(env, "HOOKLINE_SIP_WS_PORT", 5066),
    sipPort: port(env, "HOOKLINE_SIP_PORT", 5060),
    rtpMin,
    rtpMax,
    listenIp,
    publicIp: env.HOOKLINE_PUBLIC_IP || listenIp,
    dataDir,
    databaseFile: dbUrl ? path.resolve(dbUrl.replace(/^file:/, "")) : path.join(dataDir, "hookline.db"),
    adminToken: env.HOOKLINE_ADMIN_TOKEN || undefined,
    callbackAllowlist: list(env, "HOOKLINE_CALLBACK_ALLOWLIST"),
    wsAllowedOrigins: list(env, "HOOKLINE_WS_ORIGINS"),
    tls: cert && key ? { certFile: cert, keyFile: key } : undefined,
    mediaWorkers: workers ? Number(workers) : undefined,
    metricsListen: hostPort(env, "HOOKLINE_METRICS_LISTEN"),
  };
}
