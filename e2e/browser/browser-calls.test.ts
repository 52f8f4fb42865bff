/**
 * SPEC §1: two Chromium softphones (sip.js on the console's /softphone page) register and call each
 * other through the gateway; the audio each one receives comes from mediasoup, not the other browser.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaCensus } from "@hookline/gateway";
import { startStack, type Stack } from "../src/index.js";
import { launchChromium, SoftphonePage, type Browser, type PhoneStats } from "./chromium.js";

const DOMAIN = "browsers.test";

describe("browser ↔ browser through mediasoup (SPEC §1)", () => {
  let stack: Stack;
  let browser: Browser;
  let alice: SoftphonePage;
  let bob: SoftphonePage;

  beforeAll(async () => {
    stack = await startStack();
    await stack.tenant(DOMAIN, ["alice", "bob"]);
    browser = await launchChromium();
    const http = `http://127.0.0.1:${stack.h.ports.http}`;
    alice = await SoftphonePage.open(browser.context, http);
    bob = await SoftphonePage.open(browser.context, http);
    await alice.register(stack.wsUrl, "alice", DOMAIN, "alice-secret");
    await bob.register(stack.wsUrl, "bob", DOMAIN, "bob-secret");
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("carries audio both ways via mediasoup's candidates, and leaves nothing behind after hang-up", async () => {
    await alice.call(`sip:bob@${DOMAIN}`);
    await expect.poll(async () => (await bob.state()).incoming, { timeout: 15_000 }).toBe(true);
    await bob.answer();
    await expect.poll(async () => (await alice.state()).established, { timeout: 15_000 }).toBe(true);

    const { rtpMin, rtpMax } = stack.h.config;
    const flowing = async (phone: SoftphonePage): Promise<PhoneStats> => {
      let last: PhoneStats | null = null;
      await expect
        .poll(
          async () => {
            last = await phone.stats();
            return (last?.packetsReceived ?? 0) > 100 && (last?.audioLevel ?? 0) > 0;
          },
          { timeout: 20_000, interval: 250 },
        )
        .toBe(true);
      return last!;
    };
    const a1 = await flowing(alice);
    const b1 = await flowing(bob);
    // Rising, not a one-off: a second reading later has more packets.
    await expect.poll(async () => (await alice.stats())!.packetsReceived).toBeGreaterThan(a1.packetsReceived);
    await expect.poll(async () => (await bob.stats())!.packetsReceived).toBeGreaterThan(b1.packetsReceived);

    for (const [name, s] of [
      ["alice", a1],
      ["bob", b1],
    ] as const) {
      console.log(
        `${name}: received ${s.packetsReceived} packets (${s.codec}), audioLevel ${s.audioLevel.toFixed(4)}, ` +
          `sent ${s.packetsSent}, remote candidate ${s.remoteCandidate?.address}:${s.remoteCandidate?.port}`,
      );
      expect(s.codec).toBe("audio/opus");
      expect(s.remoteCandidate?.address).toBe("127.0.0.1");
      // mediasoup's RTP port range, so never the other browser's own port.
      expect(s.remoteCandidate!.port).toBeGreaterThanOrEqual(rtpMin);
      expect(s.remoteCandidate!.port).toBeLessThanOrEqual(rtpMax);
    }
    expect(a1.remoteCandidate!.port).not.toBe(b1.remoteCandidate!.port);

    await alice.hangup();
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => mediaCensus(), { timeout: 10_000 }).toMatchObject({ routers: 0, transports: 0 });
  });
});
