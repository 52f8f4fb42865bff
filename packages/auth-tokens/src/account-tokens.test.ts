import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signAccountToken, verifyAccountToken } from "./account-tokens.js";

const TOKEN_SECRET = "test-token-secret-0123456789abcdef";

describe("account tokens", () => {
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
