/**
 * A phone that declares no a=ssrc (RFC 5576 is optional; most phones, PBXs and carriers omit it)
 * calls a Chromium softphone through the gateway: SIPp plays /usr/share/sip-tester/g711a.pcap
 * from an SDP without a=ssrc. The media plane learns the stream's SSRC from its first packets
 * (apps/gateway/src/media/ssrc-learner.ts): the browser's inbound-rtp packets rise, and the
 * browser's audio reaches SIPp's RTP port through the leg's latched address. The same, with SIPp
 * as a carrier on 127.0.0.2 calling a number through a trunk (SPEC §3): no digest, telephone-event
 * offered beside PCMA.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaCallStats, mediaCensus, type LegRtpStats } from "@hookline/gateway";
import { startStack, type Stack } from "../src/index.js";
import { launchChromium, SoftphonePage, type Browser, type PhoneStats } from "./chromium.js";

const DOMAIN = "carriers.test";
const SCENARIO = fileURLToPath(new URL("../sipp/call-browser-no-ssrc.xml", import.meta.url));
const CARRIER_SCENARIO = fileURLToPath(new URL("../sipp/carrier-call-rtp.xml", import.meta.url));
const NUMBER = "+15551230002";

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
  let apiKey: string;

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey } = await stack.tenant(DOMAIN, ["bob", "sipp"]));
    browser = await launchChromium();
    bob = await SoftphonePage.open(browser.context, `http://127.0.0.1:${stack.h.ports.http}`);
    await bob.register(stack.wsUrl, "bob", DOMAIN, "bob-secret");
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** SIPp (its arguments but the media port) calls bob: audio both ways, nothing left after. */
  async function carriesAudio(label: string, args: string[]): Promise<void> {
    // Below Linux's ephemeral ports (32768+), away from other tests' SIPp ports.
    const mediaPort = 12000 + 2 * Math.floor(Math.random() * 1000);
    const endedBefore = (await bob.state()).ended;
    const sipp = runSipp([...args, "-mp", String(mediaPort)]);
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
      `${label} → browser: browser received ${s.packetsReceived} packets (${s.codec}); ` +
        `mediasoup got ${plain!.received} from SIPp and sent ${plain!.sent} to SIPp's port ${mediaPort}`,
    );

    const result = await sipp;
    if (result.code !== 0) console.log(result.output);
    expect(result.code).toBe(0);
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(endedBefore + 1);
    await expect.poll(() => mediaCensus(), { timeout: 10_000 }).toMatchObject({ routers: 0, transports: 0 });
  }

  it("the browser's inbound-rtp packets rise with SIPp's PCMA, and SIPp's RTP port receives the browser's audio", async () => {
    await carriesAudio("SIPp (no a=ssrc)", [
      ...["-sf", SCENARIO, "-s", "bob", "-set", "caller", "sipp", "-set", "domain", DOMAIN],
      ...["-au", "sipp", "-ap", "sipp-secret", "-i", "127.0.0.1"],
      ...["-m", "1", "-t", "u1", "-timeout", "40s", "-nostdin", `127.0.0.1:${stack.h.ports.sip}`],
    ]);
  });

  it("a carrier's call to a number through a trunk carries audio both ways, without a=ssrc", async () => {
    const trunk = await stack.api(
      "POST",
      "/v1/trunks",
      { name: "carrier-rtp", inbound: { addresses: ["127.0.0.2"] } },
      apiKey,
    );
    expect(trunk.status).toBe(201);
    const number = await stack.api(
      "POST",
      "/v1/numbers",
      { number: NUMBER, trunk: "carrier-rtp", domain: DOMAIN, user: "bob" },
      apiKey,
    );
    expect(number.status).toBe(201);
    await carriesAudio("a carrier through a trunk (no a=ssrc)", [
      ...["-sf", CARRIER_SCENARIO, "-s", NUMBER, "-set", "caller", "+14155550100", "-i", "127.0.0.2"],
      ...["-m", "1", "-t", "u1", "-timeout", "40s", "-nostdin", `127.0.0.1:${stack.h.ports.sip}`],
    ]);
  });
});
