/**
 * SIPp interop (SPEC §1): real SIPp 3.6 processes (scenario files in e2e/sipp, digest auth through
 * SIPp's `[authentication]`) register and call through an in-process Hookline over UDP and TCP.
 * Assertions are on SIPp's exit codes, its statistics, the message flow it traced, and what the
 * database recorded (through the REST API).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./src/index.js";

const DOMAIN = "sipp.test";

interface Registration {
  aor: string;
  transport: string;
  userAgent: string | null;
}
interface CallSummary {
  id: string;
  from: string;
  to: string;
  state: string;
  endReason: string | null;
}
interface CallDetail extends CallSummary {
  legs: Array<{ direction: string; transport: string; state: string }>;
  messages: Array<{ direction: string; method: string | null; status: number | null }>;
}

// ─── SIPp as a child process ──────────────────────────────────────────────────
// Bounded by a call count (-m) and a global timeout that counts as failure (-timeout,
// -timeout_error), in its own temporary folder so that its -trace_stat / -trace_err / -trace_msg
// files can be read afterwards.

const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "sipp");

interface SippOptions {
  /** A scenario file name in e2e/sipp, e.g. `uac-call-auth.xml`. */
  scenario: string;
  /** `host:port` of the gateway. */
  target: string;
  transport: "u1" | "t1";
  /** `-s`: the user part of the Request-URI / To (REGISTER: the registering user). */
  service: string;
  /** Digest credentials (`-au`, `-ap`) for the scenario's `[authentication]`. */
  auth?: { user: string; password: string };
  /** Scenario globals (`-set NAME VALUE`). */
  vars?: Record<string, string>;
  /** `-m`: calls to place (UAC) or take (UAS); SIPp exits when they are done. Default 1. */
  calls?: number;
  /** `-d`: the length of a `<pause />`, ms. */
  pauseMs?: number;
  /** `-oocsf`: the scenario for requests outside any call of the main scenario. */
  oocScenario?: string;
  /** `-timeout` in seconds; reaching it is a failure. Default 20. */
  timeoutS?: number;
  /** Keep the SIP messages (`-trace_msg`) for `messages`. */
  traceMessages?: boolean;
  extraArgs?: string[];
}

interface SippResult {
  /** SIPp's exit code: 0 all calls succeeded, 1 some failed, 97/99 aborted, 255 bad scenario. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the -trace_stat CSV (its last line, cumulative columns). */
  successful: number;
  failed: number;
  /** The -trace_err log: unexpected messages and aborted calls, with their SIP text. */
  errors: string;
  /** The -trace_msg log when `traceMessages` was set. */
  messages: string;
  stderr: string;
}

interface SippProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<SippResult>;
}

function startSipp(o: SippOptions): SippProcess {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-sipp-"));
  const args = [
    "-sf",
    path.join(SCENARIO_DIR, o.scenario),
    o.target,
    "-t",
    o.transport,
    "-s",
    o.service,
    "-m",
    String(o.calls ?? 1),
    "-timeout",
    String(o.timeoutS ?? 20),
    "-timeout_error",
    "-trace_stat",
    "-stf",
    "stat.csv",
    "-trace_err",
    "-nostdin",
  ];
  if (o.auth) args.push("-au", o.auth.user, "-ap", o.auth.password);
  for (const [name, value] of Object.entries(o.vars ?? {})) args.push("-set", name, value);
  if (o.pauseMs !== undefined) args.push("-d", String(o.pauseMs));
  if (o.oocScenario) args.push("-oocsf", path.join(SCENARIO_DIR, o.oocScenario));
  if (o.traceMessages) args.push("-trace_msg");
  args.push(...(o.extraArgs ?? []));

  const child = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<SippResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      try {
        const files = readdirSync(dir);
        const read = (suffix: string) =>
          files
            .filter((f) => f.endsWith(suffix))
            .map((f) => readFileSync(path.join(dir, f), "utf8"))
            .join("\n");
        const stats = parseStats(path.join(dir, "stat.csv"));
        resolve({
          code,
          signal,
          successful: stats["SuccessfulCall(C)"] ?? 0,
          failed: stats["FailedCall(C)"] ?? 0,
          errors: read("_errors.log"),
          messages: read("_messages.log"),
          stderr,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  return { child, exited };
}

/** Starts SIPp and waits for it to exit. */
function runSipp(o: SippOptions): Promise<SippResult> {
  return startSipp(o).exited;
}

function parseStats(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const header = lines[0]?.split(";") ?? [];
  const last = lines.at(-1)?.split(";") ?? [];
  const out: Record<string, number> = {};
  header.forEach((name, i) => {
    const n = Number(last[i]);
    if (name && Number.isFinite(n)) out[name] = n;
  });
  return out;
}

/** The start lines of the SIP messages in a -trace_msg log, in order (`INVITE`, `407`, ...). */
function messageFlow(messages: string): string[] {
  const flow: string[] = [];
  for (const line of messages.split("\n")) {
    const status = /^SIP\/2\.0 (\d{3}) /.exec(line);
    if (status) flow.push(status[1]!);
    const request = /^([A-Z]+) \S+ SIP\/2\.0\s*$/.exec(line);
    if (request) flow.push(request[1]!);
  }
  return flow;
}

// ─── the tests ─────────────────────────────────────────────────────────────────

describe("SIPp interop (RFC 3261)", () => {
  let stack: Stack;
  let apiKey: string;
  let target: string;

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey } = await stack.tenant(DOMAIN, ["alice", "bob"]));
    target = `127.0.0.1:${stack.h.ports.sip}`;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const api = <T>(p: string) => stack.api<T>("GET", p, undefined, apiKey);

  /** Polls the API until bob has a binding over `transport`; fails early if bob's SIPp exits. */
  async function bobRegistered(transport: string, bobExited: Promise<SippResult>): Promise<void> {
    let exited: SippResult | undefined;
    void bobExited.then((r) => (exited = r));
    for (;;) {
      if (exited) throw new Error(`bob's SIPp exited before registering: ${JSON.stringify(exited)}`);
      const regs = await api<{ data: Registration[] }>("/v1/registrations");
      if (regs.body.data.some((r) => r.aor === `sip:bob@${DOMAIN}` && r.transport === transport)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  for (const [transport, mode] of [
    ["udp", "u1"],
    ["tcp", "t1"],
  ] as const) {
    describe(`over ${transport.toUpperCase()}`, () => {
      /** alice registers with `password`; the exchange is traced. */
      const registerAlice = (password: string) =>
        runSipp({
          scenario: "register-auth.xml",
          target,
          transport: mode,
          service: "alice",
          auth: { user: "alice", password },
          vars: { domain: DOMAIN },
          traceMessages: true,
        });

      it("registers with digest auth (401, then 200)", async () => {
        const res = await registerAlice("alice-secret");
        expect(res.errors).toBe("");
        expect(res).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(res.messages)).toEqual(["REGISTER", "401", "REGISTER", "200"]);
      });

      it("refuses a wrong password (the scenario fails on the 403)", async () => {
        const res = await registerAlice("not-the-secret");
        expect(res).toMatchObject({ code: 1, successful: 0, failed: 1 });
        expect(messageFlow(res.messages).slice(0, 4)).toEqual(["REGISTER", "401", "REGISTER", "403"]);
      });

      it("alice calls bob (a registered SIPp UAS): 407, 180, 200, ACK, BYE; the call is in the database", async () => {
        const bob = startSipp({
          scenario: "register-wait.xml",
          oocScenario: "uas-answer.xml",
          target,
          transport: mode,
          service: "bob",
          auth: { user: "bob", password: "bob-secret" },
          vars: { domain: DOMAIN },
          traceMessages: true,
          // Fail, don't improvise: no automatic BYE/CANCEL when something unexpected arrives.
          extraArgs: ["-nd"],
        });
        await bobRegistered(transport, bob.exited);

        const alice = await runSipp({
          scenario: "uac-call-auth.xml",
          target,
          transport: mode,
          service: "bob",
          auth: { user: "alice", password: "alice-secret" },
          vars: { domain: DOMAIN, caller: "alice" },
          pauseMs: 200,
          traceMessages: true,
        });
        expect(alice.errors).toBe("");
        expect(alice).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(alice.messages)).toEqual([
          "INVITE",
          "407",
          "ACK",
          "INVITE",
          "100",
          "180",
          "200",
          "ACK",
          "BYE",
          "200",
        ]);

        // bob saw its own dialog (the gateway's leg), then unregistered and exited cleanly.
        const b = await bob.exited;
        expect(b).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(b.messages)).toEqual([
          "REGISTER",
          "401",
          "REGISTER",
          "200",
          "INVITE",
          "180",
          "200",
          "ACK",
          "BYE",
          "200",
          "REGISTER",
          "200",
        ]);

        const calls = await api<{ data: CallSummary[] }>("/v1/calls");
        const call = calls.body.data.find(
          (c) => c.from === `sip:alice@${DOMAIN}` && c.to === `sip:bob@${DOMAIN}` && c.state === "completed",
        );
        expect(call?.endReason).toBe("caller-hangup");
        const detail = await api<CallDetail>(`/v1/calls/${call!.id}`);
        expect(detail.body.legs.map((l) => [l.direction, l.transport])).toEqual([
          ["inbound", transport],
          ["outbound", transport],
        ]);
        const received = detail.body.messages
          .filter((m) => m.direction === "received")
          .map((m) => m.method ?? String(m.status));
        expect(received).toEqual(expect.arrayContaining(["INVITE", "180", "200", "ACK", "BYE"]));
      });

      it("a call to an unknown user gets 404 after authenticating", async () => {
        const res = await runSipp({
          scenario: "uac-call-404.xml",
          target,
          transport: mode,
          service: "nobody",
          auth: { user: "alice", password: "alice-secret" },
          vars: { domain: DOMAIN, caller: "alice" },
          traceMessages: true,
        });
        expect(res.errors).toBe("");
        expect(res).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(res.messages)).toEqual(["INVITE", "407", "ACK", "INVITE", "100", "404", "ACK"]);
      });
    });
  }
});
