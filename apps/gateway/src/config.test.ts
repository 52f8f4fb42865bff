import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GATEWAY_NODE_ARGS } from "./bundle-test-support.js";
import { ConfigError, defaultNodeId, loadConfig } from "./config.js";

/** The error loadConfig throws for this environment, or undefined when it accepts it. */
function refusal(env: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

describe("configuration validated at start (SPEC §2)", () => {
  it("takes the embedded defaults from an empty environment", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      httpPort: 3000,
      sipWsPort: 5066,
      sipPort: 5060,
      sipTlsPort: 5061,
      tlsCaFile: undefined,
      rtpMin: 40000,
      rtpMax: 49999,
      mediaWorkers: undefined,
      shutdownDeadlineMs: 30_000,
      metricsListen: undefined,
      roles: ["gateway", "console", "delivery"],
      heartbeatMs: 5000,
    });
  });

  it("HOOKLINE_ROLES takes any combination of gateway, console and delivery, in a fixed order", () => {
    expect(loadConfig({ HOOKLINE_ROLES: "delivery, console" }).roles).toEqual(["console", "delivery"]);
    expect(loadConfig({ HOOKLINE_ROLES: "gateway,gateway" }).roles).toEqual(["gateway"]);
    expect(loadConfig({ HOOKLINE_ROLES: "" }).roles).toEqual(["gateway", "console", "delivery"]);
    for (const bad of ["media", "gateway,Console", "all"]) {
      expect(refusal({ HOOKLINE_ROLES: bad })?.message).toMatch(
        /^HOOKLINE_ROLES: unknown role "[^"]+" \(a comma-separated list of gateway, console, delivery\)$/,
      );
    }
  });

  it("HOOKLINE_NODE_ID is kept as given, or derived from host, listen address and the first role's port", () => {
    expect(loadConfig({ HOOKLINE_NODE_ID: "edge-1.eu" }).nodeId).toBe("edge-1.eu");
    for (const bad of ["-x", "a b", "x".repeat(129), "ü"]) {
      expect(refusal({ HOOKLINE_NODE_ID: bad })?.message).toMatch(/^HOOKLINE_NODE_ID: up to 128 letters/);
    }
    const at = { listenIp: "127.0.0.2", sipPort: 5070, httpPort: 3001 };
    expect(defaultNodeId("box_1", { ...at, roles: ["gateway", "console"] })).toBe("box-1/127.0.0.2:5070");
    expect(defaultNodeId("box", { ...at, roles: ["console", "delivery"] })).toBe("box/127.0.0.2:3001");
    expect(defaultNodeId("box", { ...at, roles: ["delivery"] })).toBe("box/delivery");
    // Stable: the same settings give the same id on every start.
    const env = { HOOKLINE_SIP_PORT: "5070", HOOKLINE_LISTEN_IP: "127.0.0.2" };
    expect(loadConfig(env).nodeId).toBe(loadConfig(env).nodeId);
    expect(loadConfig(env).nodeId).toMatch(/\/127\.0\.0\.2:5070$/);
  });

  it("HOOKLINE_HEARTBEAT_MS is milliseconds from 50 to 600000", () => {
    expect(loadConfig({ HOOKLINE_HEARTBEAT_MS: "200" }).heartbeatMs).toBe(200);
    for (const bad of ["49", "600001", "5s"]) {
      expect(refusal({ HOOKLINE_HEARTBEAT_MS: bad })?.message).toBe(
        `HOOKLINE_HEARTBEAT_MS: must be an integer from 50 to 600000 (got "${bad}")`,
      );
    }
  });

  const ports = ["HOOKLINE_HTTP_PORT", "HOOKLINE_SIP_WS_PORT", "HOOKLINE_SIP_PORT", "HOOKLINE_SIP_TLS_PORT"];
  it.each(ports)("%s accepts 0 to 65535 and refuses anything else, naming the range", (name) => {
    expect(refusal({ [name]: "0" })).toBeUndefined();
    expect(refusal({ [name]: "65535" })).toBeUndefined();
    for (const bad of ["65536", "-1", "80.5", "http", "1e3", "0x50"]) {
      const err = refusal({ [name]: bad });
      expect(err?.code).toBe("CONFIG_INVALID");
      expect(err?.message).toBe(`${name}: must be an integer from 0 to 65535 (got "${bad}")`);
    }
  });

  it("HOOKLINE_RTP_MIN and HOOKLINE_RTP_MAX take ports from 1, MAX above MIN", () => {
    expect(loadConfig({ HOOKLINE_RTP_MIN: "46000", HOOKLINE_RTP_MAX: "46999" })).toMatchObject({
      rtpMin: 46000,
      rtpMax: 46999,
    });
    expect(refusal({ HOOKLINE_RTP_MIN: "0" })?.message).toBe(
      'HOOKLINE_RTP_MIN: must be an integer from 1 to 65535 (got "0")',
    );
    expect(refusal({ HOOKLINE_RTP_MAX: "70000" })?.message).toBe(
      'HOOKLINE_RTP_MAX: must be an integer from 1 to 65535 (got "70000")',
    );
    expect(refusal({ HOOKLINE_RTP_MIN: "5000", HOOKLINE_RTP_MAX: "5000" })?.message).toBe(
      "HOOKLINE_RTP_MAX: must be above HOOKLINE_RTP_MIN (5000), got 5000",
    );
  });

  it("HOOKLINE_MEDIA_WORKERS is a count from 1 to 256", () => {
    expect(loadConfig({ HOOKLINE_MEDIA_WORKERS: "4" }).mediaWorkers).toBe(4);
    expect(loadConfig({ HOOKLINE_MEDIA_WORKERS: "" }).mediaWorkers).toBeUndefined();
    for (const bad of ["0", "257", "two", "1.5", "-2"]) {
      expect(refusal({ HOOKLINE_MEDIA_WORKERS: bad })?.message).toBe(
        `HOOKLINE_MEDIA_WORKERS: must be an integer from 1 to 256 (got "${bad}")`,
      );
    }
  });

  it("HOOKLINE_SHUTDOWN_DEADLINE_MS is milliseconds from 0 to a day", () => {
    expect(loadConfig({ HOOKLINE_SHUTDOWN_DEADLINE_MS: "0" }).shutdownDeadlineMs).toBe(0);
    expect(loadConfig({ HOOKLINE_SHUTDOWN_DEADLINE_MS: "600000" }).shutdownDeadlineMs).toBe(600_000);
    for (const bad of ["86400001", "30s", "-1", "NaN"]) {
      expect(refusal({ HOOKLINE_SHUTDOWN_DEADLINE_MS: bad })?.message).toBe(
        `HOOKLINE_SHUTDOWN_DEADLINE_MS: must be an integer from 0 to 86400000 (got "${bad}")`,
      );
    }
  });

  it("HOOKLINE_WS_MAX_CONNECTIONS and HOOKLINE_WS_MAX_PER_SOURCE are counts from 1, 10,000 and 256 by default", () => {
    expect(loadConfig({}).wsLimits).toEqual({ maxConnections: 10_000, maxConnectionsPerSource: 256 });
    const c = loadConfig({ HOOKLINE_WS_MAX_CONNECTIONS: "50000", HOOKLINE_WS_MAX_PER_SOURCE: "1000" });
    expect(c.wsLimits).toEqual({ maxConnections: 50_000, maxConnectionsPerSource: 1000 });
    expect(refusal({ HOOKLINE_WS_MAX_PER_SOURCE: "0" })?.message).toBe(
      'HOOKLINE_WS_MAX_PER_SOURCE: must be an integer from 1 to 1000000 (got "0")',
    );
  });

  it("HOOKLINE_METRICS_LISTEN is host:port with a port up to 65535", () => {
    expect(loadConfig({ HOOKLINE_METRICS_LISTEN: "[::1]:9090" }).metricsListen).toEqual({
      host: "::1",
      port: 9090,
    });
    for (const bad of ["9090", "127.0.0.1:70000", "127.0.0.1:"]) {
      expect(refusal({ HOOKLINE_METRICS_LISTEN: bad })?.message).toBe(
        `HOOKLINE_METRICS_LISTEN: must be host:port with a port from 0 to 65535, e.g. 127.0.0.1:9090 (got "${bad}")`,
      );
    }
  });

  it("HOOKLINE_DATABASE_URL takes a SQLite file or a postgres:// URL; TLS cert and key go together", () => {
    expect(loadConfig({ HOOKLINE_DATABASE_URL: "file:/srv/h.db" }).database).toEqual({
      dialect: "sqlite",
      file: "/srv/h.db",
    });
    const url = "postgres://hookline:pw@db.internal:5432/hookline";
    expect(loadConfig({ HOOKLINE_DATABASE_URL: url }).database).toEqual({
      dialect: "postgres",
      url,
    });
    expect(refusal({ HOOKLINE_DATABASE_URL: "mysql://db/hookline" })?.message).toMatch(
      /^HOOKLINE_DATABASE_URL: a SQLite file .* or a postgres:\/\/ URL \(got mysql:\)/,
    );
    expect(refusal({ HOOKLINE_DATABASE_URL: "postgres://[bad" })?.message).toBe(
      "HOOKLINE_DATABASE_URL: not a valid postgres:// URL",
    );
    expect(refusal({ HOOKLINE_TLS_CERT: "cert.pem" })?.message).toBe(
      "HOOKLINE_TLS_CERT and HOOKLINE_TLS_KEY go together",
    );
  });

  it("HOOKLINE_TLS_CA names a readable PEM file of certificates", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hookline-config-"));
    const pem = path.join(dir, "ca.pem");
    const junk = path.join(dir, "junk.pem");
    writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    writeFileSync(junk, "not a certificate");
    try {
      expect(loadConfig({ HOOKLINE_TLS_CA: pem }).tlsCaFile).toBe(pem);
      expect(refusal({ HOOKLINE_TLS_CA: junk })?.message).toBe(
        `HOOKLINE_TLS_CA: ${junk} holds no PEM certificate`,
      );
      expect(refusal({ HOOKLINE_TLS_CA: path.join(dir, "missing.pem") })?.message).toMatch(
        /^HOOKLINE_TLS_CA: cannot read .*missing\.pem \(ENOENT\)$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm start's entry point (its bundle) prints the error and exits 1, without a stack trace", () => {
    const run = spawnSync(process.execPath, GATEWAY_NODE_ARGS, {
      env: { ...process.env, HOOKLINE_MEDIA_WORKERS: "0", HOOKLINE_DATA_DIR: "/nonexistent/never-created" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'hookline: invalid configuration: HOOKLINE_MEDIA_WORKERS: must be an integer from 1 to 256 (got "0")',
    );
    expect(run.stdout).toBe("");
  });
});
