import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { harness, TOKEN_SECRET } from "./test-helpers.js";
import type { Harness } from "./test-helpers.js";
import { signAccountToken, verifyAccountToken } from "./tokens.js";

let h: Harness | undefined;
afterEach(() => h?.close());

describe("account tokens", () => {
  it("POST /v1/tokens issues a JWT the gateway can verify", async () => {
    h = harness();
    const { id, apiKey } = await h.newAccount();
    const r = await h.call("POST", "/v1/tokens", apiKey, {
      ttl: 300,
      callbackHosts: ["Hooks.example.com:8443"],
    });
    expect(r.status).toBe(201);
    const verified = await verifyAccountToken(r.body.token, TOKEN_SECRET);
    expect(verified).toMatchObject({ ok: true, accountId: id, callbackHosts: ["hooks.example.com:8443"] });
    if (verified.ok) expect(verified.expiresAt.toISOString()).toBe(r.body.expiresAt);
  });

  it("refuses a ttl above the maximum and bad hosts, naming the field", async () => {
    h = harness({ maxTokenTtlSeconds: 600 });
    const { apiKey } = await h.newAccount();
    const long = await h.call("POST", "/v1/tokens", apiKey, { ttl: 601 });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe("ttl: must be at most 600 seconds");
    const host = await h.call("POST", "/v1/tokens", apiKey, { ttl: 60, callbackHosts: ["http://x/"] });
    expect(host.status).toBe(400);
    expect(host.body.error.message).toMatch(/^callbackHosts\.0: /);
  });

  it("rejects expired, wrongly signed, tampered and alg=none tokens", async () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const { token } = await signAccountToken(TOKEN_SECRET, { accountId: "acc_x", ttlSeconds: 60, now });
    expect(await verifyAccountToken(token, TOKEN_SECRET, { now })).toMatchObject({
      ok: true,
      accountId: "acc_x",
    });
    expect(
      await verifyAccountToken(token, TOKEN_SECRET, { now: new Date(now.getTime() + 61_000) }),
    ).toMatchObject({
      ok: false,
      code: "expired",
    });
    expect(await verifyAccountToken(token, "another-secret", { now })).toMatchObject({
      ok: false,
      code: "invalid",
    });

    const [head, , sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "acc_victim", exp: 9e9, iss: "hookline" })).toString(
      "base64url",
    );
    expect(await verifyAccountToken(`${head}.${forged}.${sig}`, TOKEN_SECRET, { now })).toMatchObject({
      ok: false,
    });

    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${forged}.`;
    expect(await verifyAccountToken(none, TOKEN_SECRET, { now })).toMatchObject({
      ok: false,
      code: "invalid",
    });

    const wrongAudience = await new SignJWT({ hosts: [] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("acc_x")
      .setIssuer("hookline")
      .setAudience("someone-else")
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
      .sign(new TextEncoder().encode(TOKEN_SECRET));
    expect(await verifyAccountToken(wrongAudience, TOKEN_SECRET, { now })).toMatchObject({ ok: false });
    expect(await verifyAccountToken("garbage", TOKEN_SECRET)).toMatchObject({ ok: false, code: "invalid" });
  });
});
