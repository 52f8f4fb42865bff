/**
 * SIPp as a child process for the e2e tests: real SIPp 3.6 processes running the scenario files in
 * e2e/sipp. Each run is bounded by a call count (-m) and a global timeout that counts as failure
 * (-timeout, -timeout_error), in its own temporary folder so that its -trace_stat / -trace_err /
 * -trace_msg files can be read afterwards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "sipp");

export interface SippOptions {
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

export interface SippResult {
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

export interface SippProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<SippResult>;
}

export function startSipp(o: SippOptions): SippProcess {
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
export function runSipp(o: SippOptions): Promise<SippResult> {
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
export function messageFlow(messages: string): string[] {
  const flow: string[] = [];
  for (const line of messages.split("\n")) {
    const status = /^SIP\/2\.0 (\d{3}) /.exec(line);
    if (status) flow.push(status[1]!);
    const request = /^([A-Z]+) \S+ SIP\/2\.0\s*$/.exec(line);
    if (request) flow.push(request[1]!);
  }
  return flow;
}

/**
 * A SIPp UAS as a desk phone: registers `user` (password `${user}-secret`), answers one call
 * (uas-answer.xml, without improvising: -nd), then unregisters. Resolves once `registered()` sees
 * the binding; rejects if SIPp exits first.
 */
export async function startRegisteredUas(
  o: { target: string; transport: "u1" | "t1"; user: string; domain: string },
  registered: () => Promise<boolean>,
): Promise<SippProcess> {
  const uas = startSipp({
    scenario: "register-wait.xml",
    oocScenario: "uas-answer.xml",
    target: o.target,
    transport: o.transport,
    service: o.user,
    auth: { user: o.user, password: `${o.user}-secret` },
    vars: { domain: o.domain },
    traceMessages: true,
    extraArgs: ["-nd"],
  });
  let exited: SippResult | undefined;
  void uas.exited.then((r) => (exited = r));
  for (;;) {
    if (exited) throw new Error(`${o.user}'s SIPp exited before registering: ${JSON.stringify(exited)}`);
    if (await registered()) return uas;
    await new Promise((r) => setTimeout(r, 50));
  }
}
