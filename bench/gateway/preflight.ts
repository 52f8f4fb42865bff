/**
 * The full peer's pre-flight, at a low rate before it is measured: that it does what Hookline
 * does to a call, so that the comparison is like for like —
 *   - it challenges every INVITE (SIPp sees 407, then 200 to the INVITE with credentials);
 *   - the SDP reaching the UAS carries rtpengine's ports, not the UAC's (media anchored), and so
 *     does the answer reaching the UAC;
 *   - rtpengine holds sessions while the calls are up and none once their BYEs have passed;
 *   - SIP is traced to files.
 * SIPp logs every message (`-trace_msg`) of a few calls, read back here.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { sipp, stopSipp } from "./processes.js";
import { AUTH, uacArgs, uas } from "./calls.js";
import type { Peer } from "./peer.js";

const CALLS = 5;
const HOLD_MS = 2000;

interface Logged {
  sent: boolean;
  text: string;
}

/** The messages of SIPp's `-trace_msg` log in `dir` (one file per SIPp). */
function messages(dir: string): Logged[] {
  const file = readdirSync(dir).find((f) => f.endsWith("_messages.log"));
  if (!file) return [];
  return readFileSync(path.join(dir, file), "utf8")
    .split(/^-{20,}.*$/m)
    .map((chunk) => {
      const m = /^\s*\w+ message (sent|received)[^\n]*\n\s*\n([\s\S]*)$/.exec(chunk);
      return m ? { sent: m[1] === "sent", text: m[2]! } : undefined;
    })
    .filter((m): m is Logged => m !== undefined);
}

const header = (text: string, name: string) => new RegExp(`^${name}:\\s*(.*?)\\r?$`, "im").exec(text)?.[1];
const audioPort = (text: string) => Number(/^m=audio (\d+)/m.exec(text)?.[1] ?? NaN);
const isInviteResponse = (m: Logged, code: number) =>
  m.text.startsWith(`SIP/2.0 ${code} `) && /INVITE$/i.test(header(m.text, "CSeq") ?? "");

export interface PreflightResult {
  ok: boolean;
  lines: string[];
}

export async function preflightPeer(
  peer: Peer,
  target: string,
  uasPort: number,
  scenario: string,
): Promise<PreflightResult> {
  const lines: string[] = [];
  let ok = true;
  const check = (pass: boolean, what: string) => {
    ok &&= pass;
    lines.push(`${pass ? "ok  " : "FAIL"} ${what}`);
  };
  const callee = await uas({ port: uasPort, traceMsg: true });
  const before = await peer.rtpengine.stats();
  const tracedBefore = peer.tracedMessages();
  const caller = sipp(
    [...uacArgs(scenario, target, CALLS, CALLS, AUTH), "-d", String(HOLD_MS), "-timeout", "20", "-trace_msg"],
    true,
  );
  // While the calls are held (all started within a second, each held HOLD_MS), rtpengine has them.
  let held = 0;
  const until = Date.now() + 1000 + HOLD_MS;
  while (Date.now() < until && caller.child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
    held = Math.max(held, (await peer.rtpengine.stats()).current);
  }
  const s = await caller.done;
  const after = await peer.rtpengine.stats();
  await stopSipp(callee.proc);
  const uacLog = messages(s.dir);
  const uasLog = messages(callee.proc.dir);
  rmSync(s.dir, { recursive: true, force: true });
  rmSync(callee.proc.dir, { recursive: true, force: true });

  check(s.successful === CALLS && s.failed === 0, `${s.successful}/${CALLS} calls at ${CALLS} cps completed`);
  // Per call: the first final response to an INVITE is a 407, a later one a 200.
  const byCall = new Map<string, number[]>();
  for (const m of uacLog.filter((m) => !m.sent && (isInviteResponse(m, 407) || isInviteResponse(m, 200)))) {
    const id = header(m.text, "Call-ID") ?? "";
    byCall.set(id, [...(byCall.get(id) ?? []), Number(m.text.slice(8, 11))]);
  }
  const challenged = [...byCall.values()].filter((codes) => codes[0] === 407 && codes.includes(200)).length;
  check(
    challenged === CALLS,
    `challenged: ${challenged}/${CALLS} calls saw 407, then 200 to the INVITE with credentials`,
  );
  const offered = new Set(
    uacLog.filter((m) => m.sent && m.text.startsWith("INVITE ")).map((m) => audioPort(m.text)),
  );
  const inRange = (p: number) =>
    p >= peer.rtpengine.portMin && p <= peer.rtpengine.portMax && !offered.has(p);
  const atUas = uasLog.filter((m) => !m.sent && m.text.startsWith("INVITE ")).map((m) => audioPort(m.text));
  check(
    atUas.length >= CALLS && atUas.every(inRange),
    `offer rewritten: the UAS got m=audio ${[...new Set(atUas)].slice(0, 5).join(", ")}${atUas.length > 5 ? ", …" : ""}` +
      ` (rtpengine ${peer.rtpengine.portMin}–${peer.rtpengine.portMax}; the UAC offered ${[...offered].join(", ")})`,
  );
  const answers = uacLog.filter((m) => !m.sent && isInviteResponse(m, 200)).map((m) => audioPort(m.text));
  check(
    answers.length >= CALLS && answers.every(inRange),
    `answer rewritten: the UAC got m=audio ${[...new Set(answers)].slice(0, 5).join(", ")}${answers.length > 5 ? ", …" : ""}`,
  );
  check(held > 0, `rtpengine held ${held} session(s) while the calls were up`);
  check(
    after.current === 0 && after.managed - before.managed >= CALLS && after.deleted - before.deleted >= CALLS,
    `rtpengine after the BYEs: ${after.current} session(s) left; ${after.managed - before.managed} managed and ` +
      `${after.deleted - before.deleted} deleted by Kamailio (ng statistics)`,
  );
  const traced = peer.tracedMessages() - tracedBefore;
  check(traced >= CALLS * 8, `SIP traced to files: ${traced} messages for ${CALLS} calls (${peer.traceDir})`);
  return { ok, lines };
}
