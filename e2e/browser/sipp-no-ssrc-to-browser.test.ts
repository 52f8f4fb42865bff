/**
 * A phone that declares no a=ssrc (RFC 5576 is optional; most phones, PBXs and carriers omit it)
 * calls a Chromium softphone through the gateway: SIPp plays /usr/share/sip-tester/g711a.pcap
 * from an SDP without a=ssrc. The media plane learns the stream's SSRC from its first packets
 * (apps/gateway/src/media/ssrc-learner.ts): the browser's inbound-rtp packets rise, and the
 * browser's audio reaches SIPp's RTP port through the leg's latched address.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaCallStats, mediaCensus, type LegRtpStats } from "@hookline/gateway";
import { startStack, type Stack } from "../src/index.js";
import { launchChromium, SoftphonePage, type Browser, type PhoneStats } from "./chromium.js";

const DOMAIN = "carriers.test";
const SCENARIO = fileURLToPath(new URL("../sipp/call-browser-no-ssrc.xml", import.meta.url));

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

describe("SIPp without a=ssrc → browser through mediasoup", () => {
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

  it("the browser's inbound-rtp packets rise with SIPp's PCMA, and SIPp's RTP port receives the browser's audio", async () => {
    const mediaPort = 33000 + 2 * Math.floor(Math.random() * 1000);
    const sipp = runSipp([
      ...["-sf", SCENARIO, "-s", "bob", "-set", "caller", "sipp", "-set", "domain", DOMAIN],
      ...["-au", "sipp", "-ap", "sipp-secret", "-i", "127.0.0.1", "-mp", String(mediaPort)],
      ...["-m", "1", "-t", "u1", "-timeout", "40s", "-nostdin", `127.0.0.1:${stack.h.ports.sip}`],
    ]);
    await expect.poll(async () => (await bob.state()).incoming, { timeout: 15_000 }).toBe(true);
    await bob.answer();

    let first: PhoneStats | null = null;
    await expect
      .poll(
        async () => {
          first = await bob.stats();
          return (first?.packetsReceived ?? 0) > 0;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);
    let later: PhoneStats | null = null;
    await expect
      .poll(
        async () => {
          later = await bob.stats();
          return (later?.packetsReceived ?? 0) > first!.packetsReceived + 50 && (later?.audioLevel ?? 0) > 0;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(true);
    const s = later!;
    expect(s.codec).toBe("audio/PCMA");

    let plain: LegRtpStats | undefined;
    await expect
      .poll(
        async () => {
          plain = (await mediaCallStats()).flatMap((c) => c.legs).find((l) => l.kind === "plain");
          return (plain?.sent ?? 0) > 50 && (plain?.received ?? 0) > 50;
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBe(true);
    console.log(
      `SIPp (no a=ssrc) → browser: browser received ${s.packetsReceived} packets (${s.codec}); ` +
        `mediasoup got ${plain!.received} from SIPp and sent ${plain!.sent} to SIPp's port ${mediaPort}`,
    );

    const result = await sipp;
    if (result.code !== 0) console.log(result.output);
    expect(result.code).toBe(0);
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => mediaCensus(), { timeout: 10_000 }).toMatchObject({ routers: 0, transports: 0 });
  });
});
