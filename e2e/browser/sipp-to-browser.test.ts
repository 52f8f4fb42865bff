/**
 * SPEC §1: SIPp (a phone, plain RTP/AVP over UDP) calls a Chromium softphone through the gateway.
 * SIPp plays PCMA from a pcap; the browser receives it from mediasoup, and mediasoup sends the
 * browser's audio to SIPp's RTP port.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaCallStats, mediaCensus, type LegRtpStats } from "@hookline/gateway";
import { startStack, type Stack } from "../src/index.js";
import { launchChromium, SoftphonePage, type Browser, type PhoneStats } from "./chromium.js";

const DOMAIN = "phones.test";
const SCENARIO = fileURLToPath(new URL("../sipp/call-browser.xml", import.meta.url));

function runSipp(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sipp", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("SIPp → browser through mediasoup (SPEC §1)", () => {
  let stack: Stack;
  let browser: Browser;
  let bob: SoftphonePage;

  beforeAll(async () => {
    stack = await startStack();
    await stack.tenant(DOMAIN, ["bob", "sipp"]);
    browser = await launchChromium();
    bob = await SoftphonePage.open(browser.context, `http://127.0.0.1:${stack.h.ports.http}`);
    await bob.register(stack.wsUrl, "bob", DOMAIN, "bob-secret");
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("the browser receives SIPp's PCMA and SIPp's RTP port receives the browser's audio", async () => {
    // Its own range, below Linux's ephemeral ports (32768+).
    const mediaPort = 14000 + 2 * Math.floor(Math.random() * 1000);
    const sipp = runSipp([
      "-sf",
      SCENARIO,
      "-s",
      "bob",
      "-set",
      "caller",
      "sipp",
      "-set",
      "domain",
      DOMAIN,
      "-au",
      "sipp",
      "-ap",
      "sipp-secret",
      "-i",
      "127.0.0.1",
      "-mp",
      String(mediaPort),
      "-m",
      "1",
      "-t",
      "u1",
      "-timeout",
      "40s",
      "-nostdin",
      `127.0.0.1:${stack.h.ports.sip}`,
    ]);
    await expect.poll(async () => (await bob.state()).incoming, { timeout: 30_000 }).toBe(true);
    await bob.answer();

    let seen: PhoneStats | null = null;
    await expect
      .poll(
        async () => {
          seen = await bob.stats();
          return (seen?.packetsReceived ?? 0) > 50 && (seen?.audioLevel ?? 0) > 0;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(true);
    const s = seen!;
    expect(s.codec).toBe("audio/PCMA");
    expect(s.remoteCandidate!.port).toBeGreaterThanOrEqual(stack.h.config.rtpMin);
    expect(s.remoteCandidate!.port).toBeLessThanOrEqual(stack.h.config.rtpMax);

    let plain: LegRtpStats | undefined;
    let webrtc: LegRtpStats | undefined;
    await expect
      .poll(
        async () => {
          const legs = (await mediaCallStats()).flatMap((c) => c.legs);
          plain = legs.find((l) => l.kind === "plain");
          webrtc = legs.find((l) => l.kind === "webrtc");
          return (plain?.sent ?? 0) > 50 && (plain?.received ?? 0) > 50;
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBe(true);
    console.log(
      `SIPp → browser: browser received ${s.packetsReceived} packets (${s.codec}), audioLevel ${s.audioLevel.toFixed(4)}, ` +
        `via ${s.remoteCandidate?.address}:${s.remoteCandidate?.port}; mediasoup got ${plain!.received} from SIPp; ` +
        `browser → SIPp: mediasoup got ${webrtc!.received} from the browser and sent ${plain!.sent} to SIPp's port ${mediaPort}`,
    );

    const result = await sipp;
    if (result.code !== 0) console.log(result.output);
    expect(result.code).toBe(0);
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => mediaCensus(), { timeout: 10_000 }).toMatchObject({ routers: 0, transports: 0 });
  });
});
