/**
 * The console's softphone in real Chromium (fake microphone): two pages register as carol and
 * dave, and every state a person sees comes from the SIP the gateway sent: ringing on 180, the
 * status and reason of a failure (RFC 3261 §21), a declined call, mute, hold (RFC 3264 §8.4
 * sendonly), DTMF as SIP INFO relayed to the other leg and to a callback, and the page's call log.
 * Each state is screenshotted under e2e/screenshots/ and checked with axe-core.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTwoPhones, type TwoPhones } from "../src/two-phones.js";
import { launchChromium, SoftphonePage, type Browser } from "./chromium.js";

const DOMAIN = "softphone.test";
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "screenshots");
const BUTTONS = ["call", "hangup", "answer", "decline", "mute", "hold"] as const;

/** Which of the call buttons are enabled, in BUTTONS order. */
async function enabled(page: Page): Promise<string[]> {
  const out: string[] = [];
  for (const id of BUTTONS) if (await page.locator(`#${id}`).isEnabled()) out.push(id);
  return out;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `softphone-${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(bad, `axe on softphone ${name}`).toEqual([]);
}

const callState = (page: Page) => page.locator("#call-status").getAttribute("data-state");
const callText = (page: Page) => page.locator("#call-status").textContent();

describe("softphone page in Chromium", () => {
  let t: TwoPhones;
  let browser: Browser;
  let carol: Page;
  let dave: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTwoPhones(DOMAIN);
    for (const username of ["carol", "dave", "erin"]) {
      const r = await t.stack.api(
        "POST",
        "/v1/credentials",
        { domain: DOMAIN, username, password: `${username}-secret` },
        t.key,
      );
      expect(r.status).toBe(201);
    }
    const cb = await t.stack.api("POST", "/v1/callbacks", { url: t.url, events: ["sip.INFO"] }, t.key);
    expect(cb.status).toBe(201);
    browser = await launchChromium();
    const http = `http://127.0.0.1:${t.stack.h.ports.http}`;
    carol = (await SoftphonePage.open(browser.context, http)).page;
    dave = (await SoftphonePage.open(browser.context, http)).page;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("registers both pages; before that no call button is enabled", async () => {
    expect(await enabled(carol)).toEqual([]);
    await shot(carol, "unregistered");
    for (const [page, user] of [
      [carol, "carol"],
      [dave, "dave"],
    ] as const) {
      await page.fill("#user", user);
      await page.fill("#domain", DOMAIN);
      await page.fill("#password", `${user}-secret`);
      await page.click("#register");
      await expect
        .poll(() => page.locator("#reg-status").getAttribute("data-state"), { timeout: 15_000 })
        .toBe("registered");
    }
  });

  it("shows a wrong password's refusal with its status and reason", async () => {
    const page = (await SoftphonePage.open(browser.context, `http://127.0.0.1:${t.stack.h.ports.http}`)).page;
    await page.fill("#user", "erin");
    await page.fill("#domain", DOMAIN);
    await page.fill("#password", "not-erins-password");
    await page.click("#register");
    const status = page.locator("#reg-status");
    await expect.poll(() => status.getAttribute("data-state"), { timeout: 15_000 }).toBe("failed");
    expect(await status.textContent()).toBe("Registration failed: 403 Forbidden");
    expect(await page.locator("#call").isEnabled()).toBe(false);
    await shot(page, "register-failed");
    await page.close();
  });

  it("enables only Call when registered and idle", async () => {
    expect(await enabled(carol)).toEqual(["call"]);
    expect(await carol.locator("#keypad button").first().isEnabled()).toBe(false);
    await shot(carol, "registered");
  });

  it("shows 404 Not Found for an unknown user and 480 Temporarily Unavailable for an offline one", async () => {
    await carol.fill("#target", "nobody");
    await carol.click("#call");
    await expect.poll(() => callText(carol), { timeout: 15_000 }).toBe("Call failed: 404 Not Found");
    expect(await callState(carol)).toBe("failed");
    await shot(carol, "failed-404");
    expect(await enabled(carol)).toEqual(["call"]);

    await carol.fill("#target", `sip:erin@${DOMAIN}`);
    await carol.click("#call");
    await expect
      .poll(() => callText(carol), { timeout: 15_000 })
      .toBe("Call failed: 480 Temporarily Unavailable");
  });

  it("shows ringing to the caller before the callee answers; the callee's decline is 486 Busy Here", async () => {
    await carol.fill("#target", "dave");
    await carol.click("#call");
    await expect.poll(() => callState(dave), { timeout: 15_000 }).toBe("incoming");
    await expect.poll(() => callState(carol), { timeout: 15_000 }).toBe("ringing");
    expect(await callText(carol)).toBe("Ringing: 180 Ringing");
    expect(await dave.locator("#phone").getAttribute("data-ringing")).toBe("1");
    expect(await enabled(carol)).toEqual(["hangup"]);
    expect(await enabled(dave)).toEqual(["answer", "decline"]);
    await shot(carol, "ringing");
    await shot(dave, "incoming");

    await dave.click("#decline");
    await expect.poll(() => callText(carol), { timeout: 15_000 }).toBe("Call failed: 486 Busy Here");
    expect(await dave.locator("#phone").getAttribute("data-ringing")).toBe("0");
    expect(await enabled(dave)).toEqual(["call"]);
  });

  it("answers, mutes, holds with a=sendonly, sends DTMF as INFO through the gateway, hangs up", async () => {
    await carol.click("#call");
    await expect.poll(() => callState(dave), { timeout: 15_000 }).toBe("incoming");
    await dave.click("#answer");
    await expect.poll(() => callState(carol), { timeout: 15_000 }).toBe("answered");
    await expect.poll(() => callState(dave), { timeout: 15_000 }).toBe("answered");
    expect(await enabled(carol)).toEqual(["hangup", "mute", "hold"]);
    expect(await carol.locator("#keypad button").first().isEnabled()).toBe(true);
    await shot(carol, "in-call");

    await carol.click("#mute");
    expect(await carol.locator("#mute").getAttribute("aria-pressed")).toBe("true");
    expect(await callText(carol)).toContain("(muted)");
    await carol.click("#mute");
    expect(await carol.locator("#mute").getAttribute("aria-pressed")).toBe("false");

    const direction = (page: Page) =>
      page.evaluate(() =>
        (globalThis as unknown as { phone: { localDirection(): string | null } }).phone.localDirection(),
      );
    expect(await direction(carol)).toBe("sendrecv");
    await carol.click("#hold");
    await expect
      .poll(() => carol.locator("#hold").getAttribute("aria-pressed"), { timeout: 15_000 })
      .toBe("true");
    expect(await callText(carol)).toContain("(on hold)");
    expect(await direction(carol)).toBe("sendonly");
    await shot(carol, "on-hold");
    await carol.click("#hold");
    await expect
      .poll(() => carol.locator("#hold").getAttribute("aria-pressed"), { timeout: 15_000 })
      .toBe("false");
    expect(await direction(carol)).toBe("sendrecv");

    await carol.getByRole("button", { name: "Key 5" }).click();
    await expect.poll(() => dave.locator("#dtmf-received").textContent(), { timeout: 15_000 }).toBe("5");
    // The gateway's callback sees the INFO arrive on carol's leg and relayed on dave's (SPEC §4
    // events carry headers, not bodies: the digit itself is dave's page's "5" above).
    const infos = await t.receiver.until((all) => all.filter((r) => r.json.type === "sip.INFO").length >= 2);
    const seen = infos
      .filter((r) => r.json.type === "sip.INFO")
      .map((r) => r.json.data["message"] as { direction: string; headers: Record<string, string> })
      .map((m) => `${m.direction} ${m.headers["content-type"]}`);
    expect(seen.sort()).toEqual(["received application/dtmf-relay", "sent application/dtmf-relay"]);

    await carol.click("#hangup");
    await expect.poll(() => callState(dave), { timeout: 15_000 }).toBe("ended");
    await expect.poll(() => callState(carol), { timeout: 15_000 }).toBe("ended");
    expect(await enabled(carol)).toEqual(["call"]);
  });

  it("lists this page's calls: direction, peer, result, duration", async () => {
    const rows = await carol.$$eval("#calls tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].slice(1).map((td) => td.textContent)),
    );
    expect(rows).toEqual([
      ["Outgoing", `dave@${DOMAIN}`, "ended", expect.stringMatching(/^\d+:\d\d$/)],
      ["Outgoing", `dave@${DOMAIN}`, "486 Busy Here", "—"],
      ["Outgoing", `erin@${DOMAIN}`, "480 Temporarily Unavailable", "—"],
      ["Outgoing", `nobody@${DOMAIN}`, "404 Not Found", "—"],
    ]);
    const daveRows = await dave.$$eval("#calls tr", (trs) => trs.map((tr) => tr.dataset["result"]));
    expect(daveRows).toEqual(["ended", "declined"]);
    await shot(carol, "call-log");
    // At phone width the two cards stack and nothing scrolls sideways but the log's table.
    await carol.setViewportSize({ width: 390, height: 844 });
    expect(await carol.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await shot(carol, "phone-width");
  });
});
