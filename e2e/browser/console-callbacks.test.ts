/**
 * The callbacks and deliveries pages in real Chromium: create a callback through the form (the
 * filter checked as you type), send a test event to a real node:http receiver and verify its
 * Standard Webhooks signature (SPEC §4), watch a failing receiver turn it into a dead letter,
 * replay it from the page once the receiver answers 200. Another account sees none of it. Every
 * page is screenshotted under e2e/screenshots/ and checked with axe-core.
 */
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Receiver, startStack, type Stack } from "../src/index.js";
import { launchChromium, type Browser } from "./chromium.js";

const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "screenshots");
const PASSWORD = "correct horse battery";

async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `console-${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(bad, `axe on ${name}`).toEqual([]);
}

/** Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`, key = the secret's base64 part. */
const signature = (secret: string, id: string, ts: string, body: string) =>
  `v1,${createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${id}.${ts}.${body}`)
    .digest("base64")}`;

describe("callbacks and deliveries in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let base: string;
  const receiver = new Receiver();

  async function user(name: string, email: string) {
    const acc = await stack.api<{ id: string }>("POST", "/v1/accounts", { name });
    const u = await stack.api("POST", `/v1/accounts/${acc.body.id}/users`, { email, password: PASSWORD });
    expect(u.status).toBe(201);
  }

  async function signIn(page: Page, email: string) {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/");
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Two attempts a few ms apart: a failing receiver makes a dead letter quickly.
    stack = await startStack({}, { retrySchedule: [0, 20] });
    base = `http://127.0.0.1:${stack.h.ports.http}`;
    await user("Acme", "ops@acme.test");
    await user("Other", "eve@other.test");
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await receiver.close();
  });

  it("creates a callback, sends a signed test event, replays its dead letter; another account gets 404", async () => {
    const url = await receiver.listen();
    receiver.status = () => 500;
    const page = await browser.context.newPage();
    await signIn(page, "ops@acme.test");

    await page.getByRole("link", { name: "Callbacks", exact: true }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("No callbacks yet");
    await check(page, "callbacks-empty");
    await page.getByRole("link", { name: "New callback" }).first().click();
    await page.getByLabel("Endpoint URL").fill(url);
    await page.getByLabel("sip.BYE", { exact: true }).check();
    await page.getByLabel("Filter (optional, CEL)").fill("message.direction ==");
    await expect.poll(() => page.locator("#f-filter-check").textContent()).toContain("does not compile");
    await check(page, "callbacks-new");
    await page.getByLabel("Filter (optional, CEL)").fill('message.headers["x-priority"] == "high"');
    await expect.poll(() => page.locator("#f-filter-check").textContent()).toBe("On the sample event: true");
    await page.getByRole("button", { name: "Create callback" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Callback");
    const secret = (await page.locator(".secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    // The POST redirects to the callback's page, which shows the secret once: a reload neither
    // shows it again nor posts again.
    const testAction = (await page.locator('form[action$="/test"]').getAttribute("action")) ?? "";
    const callbackPath = testAction.replace(/\/test$/, "");
    expect(callbackPath).toMatch(/^\/callbacks\/cb_/);
    expect(new URL(page.url()).pathname).toBe(callbackPath);
    await page.reload();
    expect(await page.locator(".secret").count()).toBe(0);
    await check(page, "callback");

    await page.getByRole("button", { name: "Send a test event" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/deliveries\/dlv_/);
    const deliveryPath = new URL(page.url()).pathname;
    const deliveryId = deliveryPath.split("/")[2] ?? "";
    const [first] = await receiver.until((all) => all.length >= 1);
    expect(first!.headers["webhook-id"]).toBe(deliveryId);
    expect(first!.headers["webhook-signature"]).toBe(
      signature(secret, deliveryId, first!.headers["webhook-timestamp"] ?? "", first!.body),
    );
    expect(first!.json).toMatchObject({ type: "sip.BYE", data: { test: true } });

    await expect
      .poll(async () => (await page.reload(), await page.locator(".facts").textContent()), {
        timeout: 15_000,
      })
      .toContain("Dead letter");
    expect(await page.locator("main h3").count()).toBe(2);
    expect(await page.locator("main").textContent()).toContain("Attempt 1: 500");
    await check(page, "delivery");

    receiver.status = () => 200;
    await page.getByRole("button", { name: "Replay this delivery" }).click();
    await expect
      .poll(async () => (await page.reload(), await page.locator(".facts").textContent()), {
        timeout: 15_000,
      })
      .toContain("Delivered");
    expect(await page.locator("main").textContent()).toContain("Attempt 3: 200");
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([
      deliveryId,
      deliveryId,
      deliveryId,
    ]);

    await page.getByRole("link", { name: "Deliveries", exact: true }).click();
    await expect.poll(() => page.locator("table").textContent()).toContain("sip.BYE");
    await check(page, "deliveries");
    await page.goto(`${base}${callbackPath}`);
    expect(await page.locator("#deliveries ~ .table-wrap").textContent()).toContain("Delivered");
    await page.goto(`${base}/callbacks`);
    await check(page, "callbacks");
    await page.goto(`${base}/`);
    await check(page, "overview-callbacks");

    // One persistent profile: a fresh sign-in as the other account's user.
    await browser.context.clearCookies();
    const evePage = await browser.context.newPage();
    await signIn(evePage, "eve@other.test");
    for (const p of [callbackPath, deliveryPath]) {
      const res = await evePage.goto(`${base}${p}`);
      expect(res?.status()).toBe(404);
      expect(await evePage.locator("main").textContent()).not.toContain(url);
    }
    await evePage.goto(`${base}/deliveries`);
    expect(await evePage.locator("main").textContent()).not.toContain(deliveryId);
  });
});
