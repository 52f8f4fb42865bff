/**
 * Kamailio as the registration benchmark's peer: bench/registrations/kamailio-registrar.cfg, a
 * WebSocket registrar with digest auth against the same SQLite subscriber table as the gateway
 * benchmark's peer (bench/gateway/peer.ts), its runtime files in a folder of its own.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { processTree, tmp } from "../gateway/processes.js";
import { writeSubscribers } from "../gateway/peer.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Registrar {
  readonly pid: number;
  readonly port: number;
  readonly logFile: string;
  pids(): number[];
  /** A control command through kamcmd (e.g. `stats.get_statistics`), its output. */
  rpc(...args: string[]): string;
  stop(): Promise<void>;
}

export interface RegistrarOptions {
  port: number;
  domain: string;
  users: string[];
  tcpChildren: number;
  /** Connections it must hold: every client's, with room to spare. */
  maxConnections: number;
  /** Shared memory, MB: bindings and connections live there (out of it, handshakes fail). */
  shmMb: number;
  /** tcp_rd_buf_size, bytes: Kamailio's read buffer per connection; its default unless given. */
  rdBufSize?: number;
}

export async function startRegistrar(o: RegistrarOptions): Promise<Registrar> {
  const runDir = tmp("hookline-bench-regpeer-");
  const dbFile = path.join(runDir, "subscriber.db");
  writeSubscribers(dbFile, o.domain, o.users);
  const ctl = `unix:${path.join(runDir, "kamailio.ctl")}`;
  const child = spawn(
    "kamailio",
    [
      "-f",
      path.join(HERE, "kamailio-registrar.cfg"),
      "-l",
      `tcp:127.0.0.1:${o.port}`,
      "-A",
      `DB_URL="sqlite://${dbFile}"`,
      "-A",
      `CTL_SOCK="${ctl}"`,
      "-A",
      `TCP_CHILDREN=${o.tcpChildren}`,
      "-A",
      `MAX_CONNECTIONS=${o.maxConnections}`,
      "-A",
      `OPEN_FILES=${o.maxConnections + 1024}`,
      ...(o.rdBufSize === undefined ? [] : ["-A", `RD_BUF_SIZE=${o.rdBufSize}`]),
      "-Y",
      runDir,
      "-P",
      path.join(runDir, "kamailio.pid"),
      "-DD",
      "-E",
      // Shared memory, MB; private (pkg) memory per process, MB.
      "-m",
      String(o.shmMb),
      "-M",
      "16",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  const logFile = path.join(runDir, "stderr.log");
  const log = createWriteStream(logFile);
  child.stderr.on("data", (c: Buffer) => {
    if (err.length < 65536) err += c.toString();
    log.write(c);
  });
  const rpc = (...args: string[]) => {
    const r = spawnSync("kamcmd", ["-s", ctl, ...args], { encoding: "utf8", timeout: 30_000 });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  };
  // Ready once its control socket answers (core.uptime prints `uptime: <s>`).
  for (let i = 0; !/uptime/.test(rpc("core.uptime")); i++) {
    if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${err}`);
    if (i > 100) throw new Error(`kamailio's control socket never answered:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    port: o.port,
    logFile,
    pids: () => processTree(child.pid!),
    rpc,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("close", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await new Promise((resolve) => log.end(resolve));
    },
  };
}
