/**
 * Issue 4 part 5 and SPEC §2: Hookline as `npm start` runs it — `tsx apps/gateway/src/main.ts` in
 * its own process, a fresh data folder, ports chosen by the OS and read from its banner. The
 * operator token is printed on the first start only; SIGTERM during a call turns new INVITEs away
 * with 503 + Retry-After, ends the call with BYE to both sides after the deadline and exits 0;
 * SIGINT exits 0 too.
 *
 * tsx itself is spawned (what `npm start` runs): `npx`/`npm exec` do not pass SIGTERM on to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inviter, SessionState, UserAgent, type Session } from "sip.js";
import { NodePhone, sessionState } from "./src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const DOMAIN = "process.test";
const DEADLINE_MS = 3000;

class HooklineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = "";
  stderr = "";
  #watchers: Array<() => void> = [];

  constructor(dataDir: string) {
    this.child = spawn(TSX, ["apps/gateway/src/main.ts"], {
      cwd: ROOT,
      // Its own process group, so that cleanup can reach tsx's node and the media worker too.
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
        HOOKLINE_SHUTDOWN_DEADLINE_MS: String(DEADLINE_MS),
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
    return { http: Number(m[1]), ws: Number(m[2]), sip: Number(m[3]) };
  }

  /** Test cleanup only: the whole process group, whatever state it is in. */
  killGroup(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
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

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "hookline-process-"));
  });
  afterAll(async () => {
    for (const p of phones) await p.stop();
    for (const p of started) p.killGroup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("first start: console, OpenAPI and the operator token once; SIGTERM mid-call → 503 + Retry-After, BYE to both sides, exit 0", async () => {
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

    const account = await api<{ apiKey: string }>(ports.http, token, "POST", "/v1/accounts", { name: "p" });
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
  });

  it("second start on the same data folder: no token printed; SIGINT exits 0", async () => {
    const hl = new HooklineProcess(dataDir);
    started.push(hl);
    const ports = await hl.ready();
    expect(hl.stdout).not.toContain("Operator token");
    expect(hl.stdout).not.toContain("hlop_");
    expect((await fetch(`http://127.0.0.1:${ports.http}/v1/openapi.json`)).status).toBe(200);

    // SIGINT to tsx, which passes it on once. (A terminal's Ctrl-C reaches the whole process
    // group: main.ts then gets it from the terminal and again from tsx, and takes the second as
    // "stop now", exit 1 — reported to the gateway's owner.)
    process.kill(hl.child.pid!, "SIGINT");
    expect(await hl.exited).toEqual({ code: 0, signal: null });
    expect(hl.stdout).toContain("SIGINT: shutting down");
    expect(hl.stdout).not.toContain("stopping now");
  });
});
