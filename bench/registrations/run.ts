/**
 * Registration benchmark: N SIP-over-WebSocket clients (RFC 7118) each register their own user
 * with digest authentication (RFC 3261 §22.4), Expires 600, hold the binding and refresh it once
 * on the same connection, against
 *
 *   Kamailio: bench/registrations/kamailio-registrar.cfg (xhttp + websocket, auth_db on SQLite,
 *             usrloc in memory), checked first with a few users (challenged, saved, a wrong
 *             password refused)
 *   Hookline: the gateway as bench/gateway runs it (npm start's bundle, its own data folder), the
 *             same N users provisioned through the REST API, the same check
 *
 * in the same run, each on fresh processes, through the same load client (load.ts). For each:
 * REGISTER/s (200s per second of the wave, `BENCH_REG_CONCURRENCY` transactions in flight) of
 * the initial wave and of the refresh wave; PSS of its process tree when idle (provisioned), with
 * all N connections open, with all N registered, after the refresh; bytes per registration =
 * (registered − idle) / N; CPU ms of its process tree per REGISTER. The clients are spread over
 * source addresses 127.0.0.2, .3, ... `PER_SOURCE` each, under Hookline's cap of WebSocket
 * connections per source (256, SPEC §6), and the same for Kamailio.
 * Not a test: `npm run bench:registrations -w @hookline/bench`.
 *
 * Options (environment): BENCH_REG_N (10000), BENCH_REG_CONCURRENCY (200), BENCH_REG_REFRESH_AFTER_S
 * (5: from the end of the initial wave to the refresh wave), BENCH_REG_SETTLE_S (3: before each
 * memory reading), BENCH_REG_TCP_CHILDREN (2: Kamailio's TCP workers), BENCH_REG_WAVE_TIMEOUT_S
 * (180), BENCH_REG_KAMAILIO_SHM_MB (Kamailio's shared memory: 256 + 128 KB per client, at least
 * 512; each WebSocket connection takes about 80 KB of it), BENCH_REG_KAMAILIO_RD_BUF (its
 * tcp_rd_buf_size, bytes; its default unless set), BENCH_REG_REFRESHES (1: refresh waves; the
 * table has the first, later ones print their rate and PSS), BENCH_REPORT (the report's path; bench/REPORT.md),
 * BENCH_REG_CPU_PROF=1 (V8 --cpu-prof of the gateway, written when it is stopped with SIGTERM, to
 * a temporary folder that is printed; summarize it with `npx tsx bench/registrations/profile.ts`),
 * BENCH_REG_ONLY=hookline (measure Hookline alone, print its figures, leave the report as it is:
 * for profiling and quick before/after comparisons).
 */
import { readFileSync } from "node:fs";
import {
  cpuMs,
  freeTcpPort,
  machineTicks,
  processTree,
  pssMb,
  startGateway,
  tmp,
  type Gateway,
} from "../gateway/processes.js";
import { provisionMany } from "./provision.js";
import { RegistrationLoad, type LoadOptions, type Wave } from "./load.js";
import { startRegistrar, type Registrar } from "./peer.js";
import { ratioLines, tableLines, writeSection, type TargetResult } from "./report.js";

const N = Number(process.env.BENCH_REG_N ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_REG_CONCURRENCY ?? 200);
const REFRESH_AFTER_MS = Number(process.env.BENCH_REG_REFRESH_AFTER_S ?? 5) * 1000;
const SETTLE_MS = Number(process.env.BENCH_REG_SETTLE_S ?? 3) * 1000;
const TCP_CHILDREN = Number(process.env.BENCH_REG_TCP_CHILDREN ?? 2);
const WAVE_TIMEOUT_MS = Number(process.env.BENCH_REG_WAVE_TIMEOUT_S ?? 180) * 1000;
const KAMAILIO_SHM_MB = Number(
  process.env.BENCH_REG_KAMAILIO_SHM_MB ?? Math.max(512, 256 + Math.ceil(N / 8)),
);
const KAMAILIO_RD_BUF = process.env.BENCH_REG_KAMAILIO_RD_BUF
  ? Number(process.env.BENCH_REG_KAMAILIO_RD_BUF)
  : undefined;
const REFRESHES = Number(process.env.BENCH_REG_REFRESHES ?? 1);
const CPU_PROF = process.env.BENCH_REG_CPU_PROF === "1";
const ONLY_HOOKLINE = process.env.BENCH_REG_ONLY === "hookline";
const EXPIRES = 600;
/** Clients per source address: under Hookline's 256 WebSocket connections per source. */
const PER_SOURCE = 200;
const DOMAIN = "reg.bench.test";
const USERS = Array.from({ length: N }, (_, i) => `u${String(i + 1).padStart(5, "0")}`);
/** The check's users, registered from 127.0.0.1 before the baseline. */
const CHECK_USERS = ["check1", "check2", "check3", "check4", "check5"];
const password = (user: string) => `${user}-secret`;
/** USER_HZ, as bench/gateway/processes.ts counts ticks. */
const TICKS_PER_S = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  url: string;
  pids(): number[];
  /** Bindings it holds now, by its own count. */
  held(): number | Promise<number>;
  /** How it shows a checked user's binding (a line for the check). */
  showBinding(user: string): string | Promise<string>;
  /** Its own memory accounting, read beside each PSS reading (informative). */
  memory?(): string;
}

/** The kernel's share of `cpuMs`: system CPU ms of the processes in `pids` (field 15 of stat). */
function systemMs(pids: number[]): number {
  let ms = 0;
  for (const pid of pids) {
    try {
      const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields start after the command name's last ')'; stime is the 13th from there.
      ms += (Number(raw.slice(raw.lastIndexOf(")") + 2).split(" ")[12]) * 1000) / TICKS_PER_S;
    } catch {
      // gone meanwhile
    }
  }
  return ms;
}

function checkLimits(): void {
  const soft = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
  // This process holds N client sockets and Hookline (a child, same limit) N server sockets.
  if (soft !== undefined && Number(soft) < N + 1024)
    throw new Error(
      `ulimit -n is ${soft}: the clients need ${N + 1024}; raise it (ulimit -n) or lower BENCH_REG_N`,
    );
  if (2 + Math.ceil(N / PER_SOURCE) > 254)
    throw new Error(`BENCH_REG_N ${N}: more than 127.0.0.254 would be needed`);
  console.log(
    `open files (ulimit -n): ${soft ?? "?"}, enough for ${N} clients here and ${N} server sockets in each target`,
  );
}

function loadOptions(url: string, users: string[], o: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    domain: DOMAIN,
    users,
    password,
    source: (i) => `127.0.0.${2 + Math.floor(i / PER_SOURCE)}`,
    concurrency: CONCURRENCY,
    expires: EXPIRES,
    waveTimeoutMs: WAVE_TIMEOUT_MS,
    ...o,
  };
}

const waveLine = (name: string, w: Wave) =>
  `${name}: ${w.ok}/${w.attempted} in ${(w.ms / 1000).toFixed(1)} s (${w.perSecond.toFixed(0)}/s), ` +
  `${w.sent} sent, ${w.challenged} challenged${Object.keys(w.failed).length ? `, failed ${JSON.stringify(w.failed)}` : ""}`;

/**
 * A few users: each first REGISTER must be challenged (401) and the answer accepted (200), the
 * registrar must show the binding, and a wrong password must never get a 200.
 */
async function check(t: Target): Promise<string[]> {
  const lines: string[] = [];
  const good = new RegistrationLoad(loadOptions(t.url, CHECK_USERS, { source: () => "127.0.0.1" }));
  await good.connect();
  const w = await good.register(false);
  lines.push(`${waveLine(`${CHECK_USERS.length} users`, w)}`);
  lines.push(`binding of ${CHECK_USERS[0]}: ${await t.showBinding(CHECK_USERS[0]!)}`);
  const bad = new RegistrationLoad(
    loadOptions(t.url, CHECK_USERS.slice(0, 2), {
      source: () => "127.0.0.1",
      password: () => "wrong-password",
    }),
  );
  await bad.connect();
  const b = await bad.register(false);
  bad.close();
  lines.push(`wrong password: ${b.ok} of ${b.attempted} got a 200, refused: ${JSON.stringify(b.failed)}`);
  const held = await t.held();
  lines.push(`bindings held: ${held}`);
  // Their connections close again: Hookline admits 10,000 WebSocket connections in all.
  good.close();
  const passed =
    w.ok === CHECK_USERS.length &&
    w.challenged === CHECK_USERS.length &&
    b.ok === 0 &&
    held === CHECK_USERS.length;
  lines.push(passed ? "check passed" : "CHECK FAILED");
  for (const l of lines) console.log(`  [${t.name} check] ${l}`);
  if (!passed) throw new Error(`${t.name}: the check failed`);
  return lines;
}

/**
 * CPU ms of the target's tree and of this process (the load client) from now until the returned
 * function is called, and the machine's busy share meanwhile (2 cores shared: a busy machine
 * caps every rate here, the client's included).
 */
function startUsage(t: Target): () => {
  target: number;
  targetSystem: number;
  client: number;
  machineBusyPct: number;
} {
  const target = cpuMs(t.pids());
  const targetSystem = systemMs(t.pids());
  const client = process.cpuUsage();
  const machine = machineTicks();
  return () => {
    const c = process.cpuUsage(client);
    const m = machineTicks();
    return {
      target: cpuMs(t.pids()) - target,
      targetSystem: systemMs(t.pids()) - targetSystem,
      client: (c.user + c.system) / 1000,
      machineBusyPct: (100 * (m.busy - machine.busy)) / Math.max(1, m.total - machine.total),
    };
  };
}

async function measure(t: Target): Promise<{ result: TargetResult; check: string[] }> {
  const checkLines = await check(t);
  const load = new RegistrationLoad(loadOptions(t.url, USERS));
  await sleep(SETTLE_MS);
  const own: string[] = [];
  const note = (stage: string) => t.memory && own.push(`${stage} ${t.memory()}`);
  const baseline = pssMb(t.pids());
  note("idle");
  const connect = await load.connect();
  console.log(`  ${waveLine("connect", connect)}`);
  await sleep(SETTLE_MS);
  const connected = pssMb(t.pids());
  note("connected");
  const heldBefore = await t.held();
  let usage = startUsage(t);
  const initial = await load.register(false);
  const initialUsage = usage();
  console.log(`  ${waveLine("initial", initial)}`);
  await sleep(SETTLE_MS);
  const registered = pssMb(t.pids());
  note("registered");
  const held = (await t.held()) - heldBefore;
  await sleep(Math.max(0, REFRESH_AFTER_MS - SETTLE_MS));
  usage = startUsage(t);
  const refresh = await load.register(true);
  const refreshUsage = usage();
  console.log(`  ${waveLine("refresh", refresh)}`);
  await sleep(SETTLE_MS);
  const refreshed = pssMb(t.pids());
  // Further refresh waves (BENCH_REG_REFRESHES): does memory level off or keep growing?
  const more: string[] = [];
  for (let k = 2; k <= REFRESHES; k++) {
    const w = await load.register(true);
    await sleep(SETTLE_MS);
    more.push(
      `refresh ${k}: ${w.ok}/${w.attempted} at ${w.perSecond.toFixed(0)}/s, PSS ${pssMb(t.pids()).toFixed(1)} MB`,
    );
  }
  if (more.length > 0) {
    checkLines.push(`further refresh waves: ${more.join("; ")}`);
    console.log(`  further refresh waves: ${more.join("; ")}`);
  }
  console.log(
    `  PSS MB idle ${baseline.toFixed(1)}, connected ${connected.toFixed(1)}, registered ${registered.toFixed(1)}, ` +
      `refreshed ${refreshed.toFixed(1)}; held ${held}; still open ${load.open}`,
  );
  if (own.length > 0) {
    checkLines.push(`its own memory accounting: ${own.join(", ")}`);
    console.log(`  its own memory accounting: ${own.join(", ")}`);
  }
  load.close();
  return {
    check: checkLines,
    result: {
      name: t.name,
      pss: { baseline, connected, registered, refreshed },
      connect,
      initial,
      refresh,
      cpu: { initial: initialUsage.target, refresh: refreshUsage.target },
      systemCpu: { initial: initialUsage.targetSystem, refresh: refreshUsage.targetSystem },
      clientCpu: { initial: initialUsage.client, refresh: refreshUsage.client },
      machineBusyPct: { initial: initialUsage.machineBusyPct, refresh: refreshUsage.machineBusyPct },
      held,
    },
  };
}

async function runKamailio(): Promise<{ result: TargetResult; check: string[] }> {
  const kam: Registrar = await startRegistrar({
    port: await freeTcpPort(),
    domain: DOMAIN,
    users: [...CHECK_USERS, ...USERS],
    tcpChildren: TCP_CHILDREN,
    maxConnections: N + 1024,
    shmMb: KAMAILIO_SHM_MB,
    ...(KAMAILIO_RD_BUF !== undefined && { rdBufSize: KAMAILIO_RD_BUF }),
  });
  console.log(
    `\nKamailio pid ${kam.pid} (${TCP_CHILDREN} TCP workers, ${KAMAILIO_SHM_MB} MB shared memory), ws://127.0.0.1:${kam.port}`,
  );
  try {
    return await measure({
      name: "Kamailio",
      url: `ws://127.0.0.1:${kam.port}`,
      pids: () => kam.pids(),
      held: () =>
        Number(/location_contacts\s*=\s*(\d+)/.exec(kam.rpc("stats.get_statistics", "usrloc:"))?.[1] ?? -1),
      memory: () => {
        const used = /real_used:\s*(\d+)/.exec(kam.rpc("core.shmmem"))?.[1];
        // mod.stats (kex) sums shared memory by allocation site: a connection's own, a WebSocket's.
        const stats = kam.rpc("mod.stats", "all", "shm");
        const site = (name: string) => {
          const bytes = new RegExp(`${name}\\(\\d+\\): (\\d+)`).exec(stats)?.[1];
          return bytes === undefined ? "0" : (Number(bytes) / 2 ** 20).toFixed(1);
        };
        return (
          `shared memory real_used ${used === undefined ? "?" : (Number(used) / 2 ** 20).toFixed(1)} MB ` +
          `(tcpconn_new ${site("tcpconn_new")} MB, websocket wsconn_add ${site("wsconn_add")} MB)`
        );
      },
      showBinding: (user) => {
        const dump = kam.rpc("ul.lookup", "location", `${user}@${DOMAIN}`);
        const contact = /Address:\s*(\S+)/.exec(dump)?.[1];
        const socket = /Socket:\s*(\S+)/.exec(dump)?.[1];
        return contact ? `ul.lookup: ${contact} via ${socket ?? "?"}` : `ul.lookup: ${dump.slice(0, 200)}`;
      },
    });
  } finally {
    await kam.stop();
  }
}

async function runHookline(): Promise<{ result: TargetResult; check: string[] }> {
  const wsPort = await freeTcpPort();
  const profileDir = CPU_PROF ? tmp("hookline-bench-reg-prof-") : undefined;
  const gw: Gateway = await startGateway(
    profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
    { HOOKLINE_SIP_WS_PORT: String(wsPort) },
  );
  const started = Date.now();
  const key = await provisionMany(gw, DOMAIN, [...CHECK_USERS, ...USERS]);
  console.log(
    `\nHookline pid ${gw.child.pid}, ws://127.0.0.1:${wsPort}; ${N + CHECK_USERS.length} users provisioned in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const api = async (p: string, token = gw.token) =>
    (
      await fetch(`http://127.0.0.1:${gw.http}${p}`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
  try {
    return await measure({
      name: "Hookline",
      url: `ws://127.0.0.1:${wsPort}`,
      pids: () => processTree(gw.child.pid!),
      held: async () => Number(/^hookline_registrations\s+(\d+)/m.exec(await api("/metrics"))?.[1] ?? -1),
      showBinding: async (user) => {
        const body = await api(`/v1/registrations?aor=${encodeURIComponent(`sip:${user}@${DOMAIN}`)}`, key);
        return `GET /v1/registrations: ${body.slice(0, 240)}`;
      },
    });
  } finally {
    await gw.stop();
    if (profileDir !== undefined) console.log(`  CPU profile of the gateway: ${profileDir}/*.cpuprofile`);
  }
}

async function main(): Promise<void> {
  checkLimits();
  const t0 = Date.now();
  console.log(
    `registrations: N=${N}, ${CONCURRENCY} in flight, Expires ${EXPIRES}, ${PER_SOURCE} clients per source address`,
  );
  if (ONLY_HOOKLINE) {
    const h = await runHookline();
    console.log(["", ...tableLines([h.result])].join("\n"));
    return;
  }
  const k = await runKamailio();
  const h = await runHookline();
  const table = tableLines([h.result, k.result]);
  const ratios = ratioLines(h.result, k.result);
  console.log(["", ...table, "", ...ratios].join("\n"));
  const env = Object.entries(process.env)
    .filter(([name]) => name.startsWith("BENCH_REG_"))
    .map(([name, v]) => `${name}=${v ?? ""} `)
    .join("");
  const file = writeSection([
    `Written by \`${env}npm run bench:registrations -w @hookline/bench\` on ${new Date().toISOString()}, ` +
      `${((Date.now() - t0) / 1000).toFixed(0)} s. N=${N} SIP-over-WebSocket clients (bench/registrations/load.ts, ` +
      `\`ws\` in one Node process, ${CONCURRENCY} transactions in flight), each its own user and connection, ` +
      `spread over source addresses 127.0.0.2… (${PER_SOURCE} each, under Hookline's 256 per source); ` +
      `digest auth (qop=auth), Expires ${EXPIRES}, one refresh on the same connection ` +
      `${REFRESH_AFTER_MS / 1000} s after the initial wave, answering the last challenge's nonce with nc=2. ` +
      `Kamailio: bench/registrations/kamailio-registrar.cfg (${TCP_CHILDREN} TCP workers, ${KAMAILIO_SHM_MB} MB shared memory, ${KAMAILIO_RD_BUF === undefined ? "its default tcp_rd_buf_size" : `tcp_rd_buf_size ${KAMAILIO_RD_BUF}`}, usrloc in memory); ` +
      "Hookline: the gateway as `npm start` runs it, its bindings also written to its SQLite file. " +
      "PSS of each target's process tree; CPU of that tree during the wave, per registration that got its 200.",
    "",
    ...table,
    "",
    ...ratios,
    "",
    "Checks before each was measured (5 users from 127.0.0.1), and Kamailio's own memory accounting:",
    "",
    ...k.check.map((l) => `- Kamailio: ${l}`),
    ...h.check.map((l) => `- Hookline: ${l}`),
  ]);
  console.log(`\nreport: ${file}`);
}

await main();
