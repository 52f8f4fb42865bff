/**
 * The console's call page in a real Chromium: a real call through the gateway (sip.js phones over
 * WebSocket, the caller answering the gateway's digest challenge) is watched live, its ladder
 * shows INVITE/407/INVITE/100/180/200/ACK/BYE, and an arrow opens its message with the SDP.
 * The pages (and their stylesheet) run behind a stand-in for the session middleware, on the
 * gateway's own database.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState } from "sip.js";
import { assetRoutes, callPages, type CallsEnv } from "@hookline/console";
import { NodePhone, sessionState, startStack, type Stack } from "../src/index.js";
import { launchChromium, type Browser } from "./chromium.js";

const DOMAIN = "ladder.test";
const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "screenshots");

describe("the console's call page in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let server: ServerType;
  let base: string;
  let apiKey: string;
  let alice: NodePhone;
  let bob: NodePhone;

  beforeAll(async () => {
    stack = await startStack();
    const tenant = await stack.tenant(DOMAIN, ["alice", "bob"]);
    apiKey = tenant.apiKey;
    const pages = new Hono<CallsEnv>();
    pages.use("*", async (c, next) => {
      c.set("webUser", { userId: "u1", accountId: tenant.accountId, email: "ops@ladder.test" });
      await next();
    });
    // The stylesheet too, so that the screenshots show the pages as a tenant sees them.
    pages.route("/", assetRoutes());
    pages.route(
      "/",
      callPages({
        store: stack.h.store,
        flushCallRecords: () => stack.h.flushCallRecords(),
        livePollMs: 100,
      }),
    );
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: pages.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain: DOMAIN });
    bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain: DOMAIN });
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await alice?.stop();
    await bob?.stop();
    await new Promise((resolve) => server?.close(resolve));
    await stack?.close();
  });

  it("shows a call live, then its whole ladder on both legs, and opens a message with its SDP", async () => {
    const inviter = alice.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.progress();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    const list = await stack.api<{ data: Array<{ id: string }> }>("GET", "/v1/calls", undefined, apiKey);
    const callId = list.body.data[0]!.id;

    const page = await browser.context.newPage();
    await page.goto(`${base}/calls/${callId}`);
    await expect.poll(() => page.locator("#call-live").getAttribute("data-live")).toBe("1");
    // The call ends while the page is open: the BYE arrives without a reload.
    await inviter.bye();
    await sessionState(inviter, SessionState.Terminated);
    await expect
      .poll(() => page.locator(".call-summary .state").textContent(), { timeout: 15_000 })
      .toBe("Completed");
    const ladder = async (leg: string) =>
      page.$$eval(`svg.ladder a.arrow[data-leg="${leg}"]`, (as) =>
        as.map((a) => a.querySelectorAll("text")[1]?.textContent ?? ""),
      );
    await expect.poll(async () => (await ladder("A")).includes("BYE")).toBe(true);
    const legA = await ladder("A");
    const legB = await ladder("B");
    const firstOf = (labels: string[], wanted: string[]) => {
      const at: number[] = [];
      for (const w of wanted) at.push(labels.findIndex((l, i) => l.startsWith(w) && i > (at.at(-1) ?? -1)));
      return at;
    };
    // In order on the caller's leg; the callee's leg has no challenge (the gateway sends it no 407).
    const callerSteps = ["INVITE", "407", "INVITE", "100", "180", "200", "ACK", "BYE"];
    expect(firstOf(legA, callerSteps), legA.join(", ")).not.toContain(-1);
    const calleeSteps = ["INVITE", "180", "200", "ACK", "BYE"];
    expect(firstOf(legB, calleeSteps), legB.join(", ")).not.toContain(-1);

    // An arrow opens its message: the second INVITE, with its SDP and its credentials redacted.
    const secondInvite = page.locator('svg.ladder a.arrow[data-leg="A"]').nth(firstOf(legA, callerSteps)[2]!);
    const target = await secondInvite.getAttribute("href");
    await secondInvite.click();
    const details = page.locator(`details${target}`);
    await expect.poll(() => details.getAttribute("open")).not.toBeNull();
    const shown = (await details.locator("pre").textContent()) ?? "";
    expect(shown).toMatch(/^INVITE sip:bob@ladder\.test SIP\/2\.0/);
    expect(shown).toContain("Proxy-Authorization: [redacted]");
    expect(shown).toContain("m=audio");
    expect(await details.locator("pre").isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, "console-call.png"), fullPage: true });

    await page.goto(`${base}/calls`);
    expect(await page.locator(`a[href="/calls/${callId}"]`).count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, "console-calls.png"), fullPage: true });
    await page.close();
  });
});
