/**
 * The console's pages in real Chromium: sign in, create a domain and a SIP user through the forms,
 * see them listed. Every page is screenshotted under e2e/screenshots/ and checked with axe-core
 * (no serious or critical violation).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../src/index.js";
import { launchChromium, type Browser } from "./chromium.js";

const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "screenshots");

/** Screenshot, then axe: the violations an assistive-technology user would hit hardest. */
async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `console-${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(bad, `axe on ${name}`).toEqual([]);
}

describe("console web in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    base = `http://127.0.0.1:${stack.h.ports.http}`;
    const acc = await stack.api<{ id: string }>("POST", "/v1/accounts", { name: "Acme" });
    const user = await stack.api("POST", `/v1/accounts/${acc.body.id}/users`, {
      email: "ops@acme.test",
      password: "correct horse battery",
    });
    expect(user.status).toBe(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("signs in, creates a domain and a user through the forms, and lists them", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await check(page, "sign-in");

    await page.getByLabel("Email").fill("ops@acme.test");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/");
    await expect.poll(() => page.locator("h1").textContent()).toBe("Overview");
    expect(await page.textContent("main")).toContain("creating a SIP domain");
    await check(page, "overview");

    await page.getByRole("link", { name: "Domains" }).click();
    await page.getByLabel("Domain name").fill("not a domain");
    await page.getByRole("button", { name: "Create domain" }).click();
    await expect.poll(() => page.locator("#f-name-error").textContent()).toContain("must be a DNS name");
    await check(page, "domains-error");
    await page.getByLabel("Domain name").fill("acme.sip.test");
    await page.getByRole("button", { name: "Create domain" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("acme.sip.test");
    await check(page, "domain");
    await page.getByRole("link", { name: "All domains" }).click();
    await expect.poll(() => page.locator("table").textContent()).toContain("acme.sip.test");
    await check(page, "domains");

    await page.getByRole("link", { name: "Users" }).click();
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("SIP password").fill("alice-secret");
    await page.getByRole("button", { name: "Create user" }).click();
    await expect.poll(() => page.locator("table").textContent()).toContain("alice@acme.sip.test");
    await check(page, "users");

    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Name").fill("ci");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect.poll(() => page.locator(".secret").textContent()).toMatch(/^hk_/);
    await check(page, "api-keys");

    await page.getByRole("link", { name: "ops@acme.test" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Your account");
    await check(page, "account");

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/sign-in");
    await page.goto(`${base}/domains`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
  });
});
