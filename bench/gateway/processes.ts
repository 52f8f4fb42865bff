/**
 * The processes of the gateway benchmark — SIPp, the Hookline gateway (its bundle, as `npm start`
 * runs it), the tenant's application, Kamailio — and the CPU time of a process tree from
 * /proc/<pid>/stat (utime + stime of every process in it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGatewayOnce, GATEWAY_NODE_ARGS } from "@hookline/gateway/testing/bundle";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HERE = path.join(ROOT, "bench", "gateway");
export const E2E_SIPP = path.join(ROOT, "e2e", "sipp");

/** A TCP port the OS hands out now (closed again: the caller listens on it next). */
export async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A UDP port the OS hands out now (closed again: the caller binds it next). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function tmp(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// ─── CPU accounting ──────────────────────────────────────────────────────────

const TICK_MS = 10; // CLK_TCK is 100 on Linux x86_64

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    return raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** `pid` and its descendants that are alive now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    const ppid = Number(f?.[1]);
    if (!f || !ppid) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

/** CPU ms (user + system) used so far by the processes in `pids` (fields 14 and 15 of stat). */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * TICK_MS;
}

/**
 * Memory of the processes in `pids`, MB: the sum of their PSS (/proc/<pid>/smaps_rollup), which
 * splits shared pages among the processes sharing them, so Kamailio's shared memory is counted once.
 */
export function pssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kb / 1024;
}

/** Whole-machine CPU counters (first line of /proc/stat), in ticks: busy and total. */
export function machineTicks(): { busy: number; total: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

// ─── SIPp ────────────────────────────────────────────────────────────────────

export interface SippStats {
  code: number | null;
  created: number;
  successful: number;
  failed: number;
  /** Mean response time to the INVITE that got the 200 (`rtd="true"`), ms. */
  responseTimeMs: number | undefined;
  /** Non-zero cumulative failure counters by SIPp's reason (`MaxUDPRetrans`, `UnexpectedMessage`, ...). */
  failures: Record<string, number>;
  /** Its working folder (-trace_err logs land here). */
  dir: string;
  stderr: string;
}

export interface Sipp {
  readonly child: ChildProcess;
  /** Its working folder (logs such as -trace_err's are written there). */
  readonly dir: string;
  readonly done: Promise<SippStats>;
}

/** Runs SIPp in a temporary folder, removed when it exits unless `keep` (to read its logs). */
export function sipp(args: string[], keep = false): Sipp {
  const dir = tmp("hookline-bench-sipp-");
  const child = spawn("sipp", [...args, "-nostdin", "-trace_stat", "-stf", "stat.csv", "-fd", "1"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<SippStats>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const stats = readStats(path.join(dir, "stat.csv"));
      if (!keep) rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        created: stats["TotalCallCreated"] ?? 0,
        successful: stats["SuccessfulCall(C)"] ?? 0,
        failed: stats["FailedCall(C)"] ?? 0,
        responseTimeMs: parseDuration(stats.raw["ResponseTime1(C)"]),
        failures: Object.fromEntries(
          Object.entries(stats)
            .filter(
              ([k, v]) =>
                /^Failed.+\(C\)$/.test(k) && k !== "FailedCall(C)" && typeof v === "number" && v > 0,
            )
            .map(([k, v]) => [k.slice("Failed".length, -"(C)".length), v as number]),
        ),
        dir,
        stderr,
      });
    });
  });
  return { child, dir, done };
}

function readStats(file: string): Record<string, number> & { raw: Record<string, string> } {
  const out = { raw: {} } as Record<string, number> & { raw: Record<string, string> };
  if (!existsSync(file)) return out;
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const header = lines[0]?.split(";") ?? [];
  const last = lines.at(-1)?.split(";") ?? [];
  header.forEach((name, i) => {
    const v = last[i] ?? "";
    out.raw[name] = v;
    const n = Number(v);
    if (name && v !== "" && Number.isFinite(n)) out[name] = n;
  });
  return out;
}

/** SIPp writes durations as `HH:MM:SS:mmmuuu`. */
function parseDuration(v: string | undefined): number | undefined {
  const m = v && /^(\d+):(\d+):(\d+):(\d{3})(\d{3})$/.exec(v);
  if (!m) return undefined;
  const [, h, min, s, ms, us] = m.map(Number) as [number, number, number, number, number, number];
  return ((h * 60 + min) * 60 + s) * 1000 + ms + us / 1000;
}

/** Ends a long-running SIPp (a UAS) and waits for it. */
export async function stopSipp(s: Sipp): Promise<SippStats> {
  if (s.child.exitCode === null) s.child.kill("SIGTERM");
  return s.done;
}

// ─── Hookline ────────────────────────────────────────────────────────────────

export interface Gateway {
  readonly child: ChildProcess;
  readonly http: number;
  readonly sip: number;
  readonly token: string;
  /** Its stderr (warnings per call can be many at load): a file, not the terminal. */
  readonly logFile: string;
  /** The gateway's JSON log lines after its banner. */
  readonly logLines: string;
  stop(): Promise<number | null>;
}

/**
 * The gateway as `npm start` runs it (its bundle, built once per benchmark process, run by
 * `node --enable-source-maps`), node being our direct child so that its pid is the process doing
 * the work. `env` adds to its environment (HOOKLINE_CALLBACK_ALLOWLIST, to let it reach an
 * application on 127.0.0.1).
 */
export async function startGateway(
  extraNodeArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<Gateway> {
  buildGatewayOnce();
  const dataDir = tmp("hookline-bench-gw-");
  const logFile = path.join(dataDir, "stderr.log");
  const child = spawn(process.execPath, [...extraNodeArgs, ...GATEWAY_NODE_ARGS], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", openSync(logFile, "w")],
    env: {
      ...process.env,
      HOOKLINE_DATA_DIR: dataDir,
      HOOKLINE_HTTP_PORT: "0",
      HOOKLINE_SIP_PORT: "0",
      HOOKLINE_SIP_WS_PORT: "0",
      HOOKLINE_MEDIA_WORKERS: "1",
      HOOKLINE_SHUTDOWN_DEADLINE_MS: "0",
      ...env,
    },
  });
  let out = "";
  const banner = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`gateway exited (${code}) before it ran:\n${out}`)));
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m =
        /http:\/\/[\d.]+:(\d+)\/[\s\S]*UDP and TCP [\d.]+:(\d+)[\s\S]*Operator token[^\n]*\n\s*(\S+)/.exec(
          out,
        );
      if (m) resolve(m);
    });
  });
  // After the banner, the JSON log lines (docs/operations.md) go to a file, not into memory.
  child.stdout!.removeAllListeners("data");
  const logLines = path.join(dataDir, "stdout.log");
  child.stdout!.pipe(createWriteStream(logLines));
  return {
    child,
    logLines,
    http: Number(banner[1]),
    sip: Number(banner[2]),
    token: banner[3]!,
    logFile,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

/**
 * One account, one domain, users with password `${user}-secret`, through the REST API; with
 * `applicationUrl`, the domain's calls ask that application (`PATCH /v1/domains/:id`, SPEC §5).
 */
export async function provision(
  gw: Gateway,
  domain: string,
  users: string[],
  applicationUrl?: string,
): Promise<void> {
  const call = async (token: string, method: string, p: string, body: unknown, status = 201) => {
    const res = await fetch(`http://127.0.0.1:${gw.http}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== status) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const account = await call(gw.token, "POST", "/v1/accounts", { name: "bench" });
  const key = String(account.apiKey);
  const created = await call(key, "POST", "/v1/domains", { name: domain });
  for (const username of users)
    await call(key, "POST", "/v1/credentials", { domain, username, password: `${username}-secret` });
  if (applicationUrl) await call(key, "PATCH", `/v1/domains/${String(created.id)}`, { applicationUrl }, 200);
}

// ─── The tenant's application ────────────────────────────────────────────────

export interface Application {
  readonly child: ChildProcess;
  readonly url: string;
  /** Requests it answered so far, by event type (`call.incoming`, ...). */
  asked(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** bench/gateway/application.ts in a child node, answering every call with a dial to `callee`. */
export async function startApplication(callee: string): Promise<Application> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "application.ts"), callee], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`application exited (${code}) before it listened: ${out}`)));
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    asked: async () => (await (await fetch(`${url}/stats`)).json()) as Record<string, number>,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

// ─── Kamailio ────────────────────────────────────────────────────────────────

export interface Kamailio {
  readonly pid: number;
  /** Its stderr (errors only, at debug=1). */
  readonly logFile: string;
  stop(): Promise<void>;
}

/**
 * Kamailio in the foreground with `cfg` (the bare relay, bench/gateway/kamailio.cfg, unless told),
 * each of `defines` passed as `-A NAME="value"` beside the UAS, its runtime files in `runDir`.
 */
export async function startKamailio(
  port: number,
  uasPort: number,
  children: number,
  o: { cfg?: string; defines?: Record<string, string>; runDir?: string } = {},
): Promise<Kamailio> {
  const runDir = o.runDir ?? tmp("hookline-bench-kam-");
  const pidFile = path.join(runDir, "kamailio.pid");
  const child = spawn(
    "kamailio",
    [
      "-f",
      o.cfg ?? path.join(HERE, "kamailio.cfg"),
      "-l",
      `udp:127.0.0.1:${port}`,
      "-A",
      `UAS="127.0.0.1:${uasPort}"`,
      ...Object.entries(o.defines ?? {}).flatMap(([name, value]) => ["-A", `${name}="${value}"`]),
      "-n",
      String(children),
      "-Y",
      runDir,
      "-P",
      pidFile,
      "-DD",
      "-E",
      // Shared memory, MB: finished transactions linger (wait timer) and at 1,000 cps 128 MB ran
      // out ("new_t(): out of mem", answered 500): a reference starved of memory is no reference.
      "-m",
      "1024",
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
  // Ready when its UDP workers are forked: wait until the tree has the main process's children.
  for (let i = 0; i < 100 && processTree(child.pid!).length < 2 + children; i++) {
    if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid!,
    logFile,
    // Resolves once its stderr is in the log file.
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
