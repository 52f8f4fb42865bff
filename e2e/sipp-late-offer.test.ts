/**
 * Late offer through the gateway with real SIPp on both sides (RFC 3261 §13.2.1, RFC 3264): alice
 * INVITEs without SDP, bob (a registered SIPp UAS) offers in its 200, alice answers in her ACK.
 * Neither declares a=ssrc. The media is anchored in mediasoup: each SIPp plays
 * /usr/share/sip-tester/g711a.pcap from its media port, and each leg both receives that audio
 * from its phone and sends the other phone's audio to it.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaCallStats, mediaCensus, type LegRtpStats } from "@hookline/gateway";
import { startStack, type Stack } from "./src/index.js";

const DOMAIN = "late.test";
const SCENARIOS = path.join(path.dirname(fileURLToPath(import.meta.url)), "sipp");

function sipp(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sipp", [...args, "-i", "127.0.0.1", "-t", "u1", "-m", "1", "-nostdin"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("late offer (INVITE without SDP) from SIPp to SIPp", () => {
  let stack: Stack;
  let apiKey: string;

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey } = await stack.tenant(DOMAIN, ["alice", "bob"]));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("is anchored: the offer in bob's 200 and the answer in alice's ACK are rewritten, and audio flows both ways", async () => {
    const target = `127.0.0.1:${stack.h.ports.sip}`;
    // SIPp binds four ports from -mp (audio and video, RTP and RTCP).
    // Its own range, below Linux's ephemeral ports (32768+).
    const base = 29000 + 20 * Math.floor(Math.random() * 150);
    const bob = sipp([
      ...[
        "-sf",
        path.join(SCENARIOS, "register-wait.xml"),
        "-oocsf",
        path.join(SCENARIOS, "uas-late-offer.xml"),
      ],
      ...["-s", "bob", "-au", "bob", "-ap", "bob-secret", "-set", "domain", DOMAIN, "-mp", String(base)],
      ...["-timeout", "40s", "-timeout_error", target],
    ]);
    let bobDone: { output: string } | undefined;
    void bob.then((r) => (bobDone = r));
    await expect
      .poll(
        async () => {
          if (bobDone) throw new Error(`bob's SIPp exited before registering: ${bobDone.output}`);
          const regs = await stack.api<{ data: { aor: string }[] }>(
            "GET",
            "/v1/registrations",
            undefined,
            apiKey,
          );
          return regs.body.data.some((r) => r.aor === `sip:bob@${DOMAIN}`);
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);

    const alice = sipp([
      ...["-sf", path.join(SCENARIOS, "uac-late-offer.xml"), "-s", "bob", "-set", "caller", "alice"],
      ...["-set", "domain", DOMAIN, "-au", "alice", "-ap", "alice-secret", "-mp", String(base + 10)],
      ...["-timeout", "40s", "-timeout_error", target],
    ]);

    let legs: LegRtpStats[] = [];
    const media = expect
      .poll(
        async () => {
          legs = (await mediaCallStats()).flatMap((c) => c.legs);
          return legs.length === 2 && legs.every((l) => l.kind === "plain" && l.received > 50 && l.sent > 50);
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(true);
    await media.catch(async (err: unknown) => {
      const [a, b] = await Promise.all([alice, bob]);
      throw new Error(`legs ${JSON.stringify(legs)}\nalice: ${a.output}\nbob: ${b.output}`, { cause: err });
    });
    console.log(`late offer: ${legs.map((l) => `${l.legId} got ${l.received}, sent ${l.sent}`).join("; ")}`);

    const a = await alice;
    if (a.code !== 0) console.log(a.output);
    expect(a.code).toBe(0);
    const b = await bob;
    if (b.code !== 0) console.log(b.output);
    expect(b.code).toBe(0);
    await expect.poll(() => mediaCensus(), { timeout: 10_000 }).toMatchObject({ routers: 0, transports: 0 });
  });
});
