/**
 * The SIPp roles of the gateway benchmark: the callee (bob, a UAS that answers) and the caller's
 * arguments (alice calling bob), the same for every target.
 */
import path from "node:path";
import { E2E_SIPP, freeUdpPort, HERE, sipp, type Sipp } from "./processes.js";

export const DOMAIN = "bench.test";
/** The users both Hookline and the full peer know, each with password `${user}-secret`. */
export const USERS = ["alice", "bob"];

export interface UasOptions {
  /** For Hookline: the callee first registers from the UAS's own port at this target. */
  register?: { target: string };
  /** The callee's user name (password `${user}-secret`); default bob. */
  user?: string;
  /** The port to answer on (a fresh one unless given). */
  port?: number;
  /** Log every message (`-trace_msg`) in the UAS's folder, which is then kept. */
  traceMsg?: boolean;
  /** `-trace_err`, its folder kept. */
  traceErr?: boolean;
}

/** A SIPp UAS; for Hookline it first registers bob from that same port. */
export async function uas(o: UasOptions = {}): Promise<{ port: number; proc: Sipp }> {
  const port = o.port ?? (await freeUdpPort());
  const user = o.user ?? "bob";
  // Both SIPp instances speak as the callee from the same UDP port: the registered contact is the UAS.
  const asBob = ["-t", "u1", "-p", String(port), "-s", user];
  if (o.register) {
    const reg = await sipp([
      "-sf",
      path.join(E2E_SIPP, "register-auth.xml"),
      o.register.target,
      ...asBob,
      "-au",
      user,
      "-ap",
      `${user}-secret`,
      "-set",
      "domain",
      DOMAIN,
      "-m",
      "1",
      "-timeout",
      "10",
      "-timeout_error",
    ]).done;
    if (reg.code !== 0) throw new Error(`${user}'s REGISTER failed (${reg.code}): ${reg.stderr}`);
  }
  const proc = sipp(
    [
      "-sf",
      path.join(HERE, "uas-answer.xml"),
      ...asBob,
      ...(o.traceErr ? ["-trace_err"] : []),
      ...(o.traceMsg ? ["-trace_msg"] : []),
    ],
    o.traceErr === true || o.traceMsg === true,
  );
  return { port, proc };
}

/** SIPp arguments of a UAC calling `callee` (bob) as alice at `rate` cps, `calls` calls in all. */
export function uacArgs(
  scenario: string,
  target: string,
  rate: number,
  calls: number,
  extra: string[] = [],
  callee = "bob",
): string[] {
  return [
    "-sf",
    scenario,
    target,
    "-t",
    "u1",
    "-s",
    callee,
    "-set",
    "caller",
    "alice",
    ...extra,
    "-set",
    "domain",
    DOMAIN,
    "-r",
    String(rate),
    "-m",
    String(calls),
  ];
}

/** The caller with digest credentials (bench/gateway/uac-call-auth.xml), for Hookline and the peer. */
export const AUTH = ["-au", "alice", "-ap", "alice-secret"];
