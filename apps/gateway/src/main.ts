/**
 * `npm start`: one Hookline process on the embedded defaults (SPEC §2). `npm start` runs this
 * module's bundle (scripts/build-gateway.mjs) on plain node; `npm run dev` runs it from source.
 */
import "./heap-growth.js"; // first: before any heap grows
import { ConfigError, loadConfig } from "./config.js";
import type { Config } from "./config.js";
import { NodeIdInUseError } from "./cluster/presence.js";
import { startHookline, type Hookline } from "./server.js";
import { log } from "@hookline/log";

// A backstop: a promise nobody awaited must not take every call down with it. Each one is a bug
// to fix; it is logged so that it can be.
process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // An operator's typo, not a bug: the message names the variable and what it accepts; no stack.
  process.stderr.write(`hookline: invalid configuration: ${err.message}\n`);
  process.exit(1);
}
let hookline: Hookline;
try {
  hookline = await startHookline(config);
} catch (err) {
  if (!(err instanceof NodeIdInUseError)) throw err;
  process.stderr.write(`hookline: ${err.message}\n`);
  process.exit(1);
}
const { http, sip, ws, tls } = hookline.ports;
const ip = config.listenIp;
const has = (role: Config["roles"][number]) => config.roles.includes(role);
console.log(
  [
    `Hookline is running: node ${config.nodeId} (${config.roles.join(", ")})`,
    has("console")
      ? `  console + REST API   http://${ip}:${http}/   (OpenAPI: http://${ip}:${http}/v1/openapi.json)`
      : `  health and metrics   http://${ip}:${http}/readyz, /metrics`,
    ...(has("gateway")
      ? [
          `  SIP over WebSocket   ${config.tls ? "wss" : "ws"}://${ip}:${ws}  (subprotocol "sip")`,
          `  SIP over UDP and TCP ${ip}:${sip}`,
          `  SIP over TLS         ${tls !== undefined ? `${ip}:${tls}` : "not listening (set HOOKLINE_TLS_CERT and HOOKLINE_TLS_KEY); outbound TLS works"}`,
        ]
      : []),
    `  callback delivery    ${has("delivery") ? "on" : "off (a delivery node sends what this one accepts)"}`,
    `  data folder          ${config.dataDir}`,
    `  database             ${databaseShown(config.database)}`,
  ].join("\n"),
);
if (hookline.operatorToken.created) {
  console.log(`
  Operator token (shown once; also saved to ${config.dataDir}/operator-token, mode 0600):
    ${hookline.operatorToken.token}`);
}

// SIGTERM/Ctrl-C: new calls get 503, calls in progress may finish until the deadline, then BYE.
// A second signal stops at once, unless it comes within a second of the first: Ctrl-C under
// `npm start` reaches this process twice (from the terminal, which signals the whole foreground
// process group, and from npm, which forwards it). `npm start` builds, then runs `exec node`: this
// process replaces npm's shell, so npm's pid forwards SIGTERM straight here (a shell in between
// would die of it and leave the gateway running). The mediasoup workers run in a session of their
// own (worker-pool.ts), so Ctrl-C leaves the media of the calls being drained alone.
const deadlineMs = config.shutdownDeadlineMs;
let stoppingSince: number | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < 1000) return;
      console.log(`${signal} again: stopping now`);
      const flushed = Promise.resolve(hookline.flushCallRecords()).catch(() => undefined);
      void Promise.race([flushed, new Promise((r) => setTimeout(r, 5000))]).finally(() => process.exit(1));
      return;
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: shutting down (calls may finish for ${deadlineMs / 1000} s)`);
    hookline.close(deadlineMs).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}

/** The database as the banner shows it: the file, or the PostgreSQL URL without its password. */
function databaseShown(location: Config["database"]): string {
  if (location.dialect === "sqlite") return location.file;
  const url = new URL(location.url);
  if (url.password) url.password = "***";
  return `PostgreSQL ${url.toString()}`;
}
