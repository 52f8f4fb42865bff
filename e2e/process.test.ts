/**
 * SPEC §2 and README "Running it": Hookline as `npm start` runs it (its bundle on plain node, no
 * TypeScript loaded at run time), in its own process group
 * (as a terminal's foreground job), a fresh data folder, ports chosen by the OS and read from
 * its banner. The operator token is printed on the first start only. SIGTERM to npm's pid and
 * Ctrl-C (SIGINT to the whole process group) both drain: new INVITEs get 503 + Retry-After,
 * calls in progress may finish until the deadline, then BYE to both sides and exit 0, with no
 * process of the tree left and the ports free. A second Ctrl-C stops at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inviter, SessionState, UserAgent, type Session } from "sip.js";
import { NodePhone, sessionState } from "./src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOMAIN = "process.test";
const DEADLINE_MS = 3000;

class HooklineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = "";
  stderr = "";
  #watchers: Array<() => void> = [];

  constructor(dataDir: string, deadlineMs = DEADLINE_MS) {
    this.child = spawn("npm", ["start"], {
      cwd: ROOT,
      // Its own process group, as a terminal runs a foreground job: Ctrl-C signals that group.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        HOOKLINE_DATA_DIR: dataDir,
        HOOKLINE_HTTP_PORT: "0",
        HOOKLINE_SIP_PORT: "0",
        HOOKLINE_SIP_WS_PORT: "0",
        HOOKLINE_MEDIA_WORKERS: "1",
        HOOKLINE_RTP_MIN: "46000",
        HOOKLINE_RTP_MAX: "46999",
        HOOKLINE_SHUTDOWN_DEADLINE_MS: String(deadlineMs),
        HOOKLINE_LOG_LEVEL: "info",
      },
    });
    const watch = (chunk: Buffer, into: "stdout" | "stderr") => {
      this[into] += chunk.toString();
      for (const w of [...this.#watchers]) w();
    };
    this.child.stdout!.on("data", (c: Buffer) => watch(c, "stdout"));
    this.child.stderr!.on("data", (c: Buffer) => watch(c, "stderr"));
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => {
        resolve({ code, signal });
        for (const w of [...this.#watchers]) w();
      }),
    );
  }

  /** Resolves with the first match of `re` on stdout; rejects if the process exits first. */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.stdout);
        if (m) {
          this.#watchers = this.#watchers.filter((w) => w !== check);
          resolve(m);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.#watchers = this.#watchers.filter((w) => w !== check);
          reject(new Error(`exited before printing ${re}:\n${this.stdout}\n${this.stderr}`));
        }
      };
      this.#watchers.push(check);
      check();
    });
  }

  /** Waits for the banner and returns the ports it names. */
  async ready(): Promise<{ http: number; ws: number; sip: number }> {
    const m = await this.waitFor(
      /http:\/\/[\d.]+:(\d+)\/[\s\S]*ws:\/\/[\d.]+:(\d+)[\s\S]*UDP and TCP [\d.]+:(\d+)/,
    );
    this.tree();
    return { http: Number(m[1]), ws: Number(m[2]), sip: Number(m[3]) };
  }

  /** Every pid `tree()` has seen, for cleanup: an orphan is no longer below npm. */
  readonly #seen = new Set<number>();

  /** npm's pid and every process below it (the gateway, its mediasoup workers), right now. */
  tree(): number[] {
    const pids = [this.child.pid!, ...descendants(this.child.pid!)];
    for (const pid of pids) this.#seen.add(pid);
    return pids;
  }

  /** Ctrl-C in a terminal: SIGINT to every process of the foreground process group. */
  ctrlC(): void {
    process.kill(-this.child.pid!, "SIGINT");
  }

  /** Test cleanup only: whatever is left of the tree and its process group, whatever its state. */
  killTree(): void {
    this.tree();
    for (const target of [-this.child.pid!, ...this.#seen]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/** The parent pid and name of every live process (Linux /proc). */
function processes(): Array<{ pid: number; ppid: number; name: string }> {
  const out: Array<{ pid: number; ppid: number; name: string }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(")");
      const [state, ppid] = stat.slice(close + 2).split(" ");
      if (state === "Z") continue;
      out.push({ pid: Number(entry), ppid: Number(ppid), name: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function descendants(root: number): number[] {
  const all = processes();
  const found: number[] = [];
  for (let frontier = [root]; frontier.length > 0;) {
    const next = all.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function alive(pid: number): boolean {
  return processes().some((p) => p.pid === pid);
}

/** The tree's mediasoup workers (pid and process group). */
function workers(tree: number[]): Array<{ pid: number; pgid: number }> {
  return processes()
    .filter((p) => tree.includes(p.pid) && p.name.startsWith("mediasoup-work"))
    .map((p) => ({
      pid: p.pid,
      pgid: Number(readFileSync(`/proc/${p.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]),
    }));
}

/** Whether each port can be bound again on 127.0.0.1 (TCP; and UDP for SIP). */
async function portsFree(ports: { http: number; ws: number; sip: number }): Promise<boolean> {
  const tcpFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
  const udpFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
  const all = await Promise.all([
    tcpFree(ports.http),
    tcpFree(ports.ws),
    tcpFree(ports.sip),
    udpFree(ports.sip),
  ]);
  return all.every(Boolean);
}

async function api<T>(
  http: number,
  token: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${http}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Records the BYE a session receives (and accepts it). */
function byes(session: Session): { received: boolean } {
  const seen = { received: false };
  session.delegate = {
    ...session.delegate,
    onBye: (bye) => {
      seen.received = true;
      void bye.accept();
    },
  };
  return seen;
}

describe("the Hookline process (npm start)", () => {
  let dataDir: string;
  const started: HooklineProcess[] = [];
  const phones: NodePhone[] = [];
  /** The callee of the latest `liveCall`. */
  let current: NodePhone | undefined;
  const bob = () => current!;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "hookline-process-"));
  });
  afterAll(async () => {
    for (const p of phones) await p.stop();
    for (const p of started) p.killTree();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("first start: console, OpenAPI and the operator token once; regression: SIGTERM to npm's pid orphaned the gateway, now mid-call → 503 + Retry-After, BYE to both sides, exit 0, nothing left", async () => {
    const hl = new HooklineProcess(dataDir);
    started.push(hl);
    const ports = await hl.ready();
    const token = (await hl.waitFor(/Operator token[^\n]*\n\s*(\S+)/))[1]!;
    expect(hl.stdout.split(token).length - 1).toBe(1);
    expect(statSync(path.join(dataDir, "operator-token")).mode & 0o777).toBe(0o600);

    const page = await fetch(`http://127.0.0.1:${ports.http}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("Hookline");
    const openapi = await fetch(`http://127.0.0.1:${ports.http}/v1/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi?: string }).openapi).toMatch(/^3\./);
    // The bundle finds files beside its sources: sip.js for the softphone (createRequire), the
    // migrations (the start itself), the media workers' wrapper (their process group, below).
    const sipJs = await fetch(`http://127.0.0.1:${ports.http}/vendor/sip.js/index.js`);
    expect(sipJs.status).toBe(200);
    expect(await sipJs.text()).toContain("export");

    const account = await api<{ id: string; apiKey: string }>(ports.http, token, "POST", "/v1/accounts", {
      name: "p",
    });
    expect(account.status).toBe(201);
    const key = account.body.apiKey;
    expect((await api(ports.http, key, "POST", "/v1/domains", { name: DOMAIN })).status).toBe(201);
    for (const username of ["alice", "bob", "carol"]) {
      const cred = await api(ports.http, key, "POST", "/v1/credentials", {
        domain: DOMAIN,
        username,
        password: `${username}-secret`,
      });
      expect(cred.status).toBe(201);
    }
    const wsUrl = `ws://127.0.0.1:${ports.ws}`;
    const [alice, bob, carol] = await Promise.all(
      ["alice", "bob", "carol"].map((user) => NodePhone.register({ wsUrl, user, domain: DOMAIN })),
    );
    phones.push(alice!, bob!, carol!);

    const inviter = alice!.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob!.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    const aliceBye = byes(inviter);
    const bobBye = byes(invitation);

    const tree = hl.tree();
    const [worker] = workers(tree);
    expect(worker).toBeDefined();
    // Plain JS: no tsx, whose esbuild service ran beside the gateway and each of its threads.
    expect(processes().filter((p) => tree.includes(p.pid) && p.name === "esbuild")).toEqual([]);
    // SIGTERM to the pid a user sees: npm's. It must reach the gateway, not orphan it.
    process.kill(hl.child.pid!, "SIGTERM");
    await hl.waitFor(/SIGTERM: shutting down/);

    // A new call is turned away while the call in progress may still finish.
    const refused = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve) => {
      const late = new Inviter(carol!.ua, UserAgent.makeURI(`sip:bob@${DOMAIN}`)!);
      void late.invite({
        requestDelegate: {
          onReject: (r) =>
            resolve({ status: r.message.statusCode ?? 0, retryAfter: r.message.getHeader("Retry-After") }),
          onAccept: () => resolve({ status: 200, retryAfter: undefined }),
        },
      });
    });
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toMatch(/^\d+/);
    expect(inviter.state).toBe(SessionState.Established);

    // After the deadline, the gateway hangs up on both sides and the process exits cleanly.
    await sessionState(inviter, SessionState.Terminated, DEADLINE_MS + 20_000);
    await sessionState(invitation, SessionState.Terminated, 20_000);
    expect(aliceBye.received).toBe(true);
    expect(bobBye.received).toBe(true);
    expect(await hl.exited).toEqual({ code: 0, signal: null });
    // Nothing of the tree is left behind, and the ports can be taken again.
    await expect.poll(() => tree.filter(alive), { timeout: 15_000 }).toEqual([]);
    expect(await portsFree(ports)).toBe(true);

    // The log (docs/operations.md): JSON lines on stdout after the banner; each call's end is one
    // line carrying its call and account ids.
    const lines = hl.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ended = lines.filter((l) => l.msg === "call ended");
    expect(ended).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: "info",
          component: "b2bua",
          callId: expect.stringMatching(/^call_/),
          accountId: account.body.id,
          outcome: "completed",
          reason: "shutdown",
          from: expect.stringContaining("alice"),
        }),
      ]),
    );
  });

  it("regression: Ctrl-C killed the media workers and dropped live calls; now the call lives on while the gateway drains, and npm exits 0", async () => {
    const hl = new HooklineProcess(dataDir);
    started.push(hl);
    const ports = await hl.ready();
    // Second start on the same data folder: no token printed.
    expect(hl.stdout).not.toContain("Operator token");
    expect(hl.stdout).not.toContain("hlop_");
    expect((await fetch(`http://127.0.0.1:${ports.http}/v1/openapi.json`)).status).toBe(200);

    const { inviter, invitation } = await liveCall(ports.ws);
    const tree = hl.tree();
    const [worker] = workers(tree);
    // The media worker runs in a process group of its own, out of the terminal's reach.
    expect(worker?.pgid).toBe(worker?.pid);
    const bobBye = byes(invitation);

    hl.ctrlC();
    await hl.waitFor(/SIGINT: shutting down/);
    // The call is still carried through the gateway: an INFO reaches bob and is answered.
    const before = bob().infos.length;
    await new Promise<void>((resolve, reject) => {
      inviter
        .info({
          requestDelegate: { onAccept: () => resolve(), onReject: () => reject(new Error("INFO")) },
        })
        .catch(reject);
    });
    expect(bob().infos.length).toBe(before + 1);
    expect(alive(worker!.pid)).toBe(true);
    expect(inviter.state).toBe(SessionState.Established);

    // The caller hangs up before the deadline: the BYE goes through, and the process exits 0.
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);
    expect(bobBye.received).toBe(true);
    expect(await hl.exited).toEqual({ code: 0, signal: null });
    const output = hl.stdout + hl.stderr;
    expect(output).not.toMatch(/worker \d+ died|media-worker-died|stopping now/);
    await expect.poll(() => tree.filter(alive), { timeout: 15_000 }).toEqual([]);
    expect(await portsFree(ports)).toBe(true);
  });

  it("a second Ctrl-C stops at once, without waiting for the deadline, and leaves nothing behind", async () => {
    // A deadline far beyond the test's time: only the second Ctrl-C can end this run.
    const hl = new HooklineProcess(dataDir, 10 * 60_000);
    started.push(hl);
    const ports = await hl.ready();
    await liveCall(ports.ws);
    const tree = hl.tree();

    hl.ctrlC();
    await hl.waitFor(/SIGINT: shutting down/);
    // Ctrl-C reaches the gateway twice (from the terminal and from npm); signals within a second
    // of the first count as that same Ctrl-C, so the second press comes after that second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    hl.ctrlC();
    await hl.waitFor(/SIGINT again: stopping now/);
    expect(await hl.exited).toEqual({ code: 1, signal: null });
    await expect.poll(() => tree.filter(alive), { timeout: 15_000 }).toEqual([]);
    expect(await portsFree(ports)).toBe(true);
  });

  /** Registers alice and bob on this start's WebSocket port and sets up a call between them. */
  async function liveCall(wsPort: number): Promise<{ inviter: Session; invitation: Session }> {
    const wsUrl = `ws://127.0.0.1:${wsPort}`;
    const [alice, bob] = await Promise.all(
      ["alice", "bob"].map((user) => NodePhone.register({ wsUrl, user, domain: DOMAIN })),
    );
    phones.push(alice!, bob!);
    current = bob!;
    const inviter = alice!.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob!.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    return { inviter, invitation };
  }
});
