import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { verifyAccountToken } from "@hookline/auth-tokens";
import { harness, TOKEN_SECRET } from "../test-helpers.js";
import type { Harness } from "../test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  describe("POST /v1/tokens", () => {
    it("POST /v1/tokens issues a JWT the gateway can verify", async () => {
      h = await harness(dialect);
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
      h = await harness(dialect, { maxTokenTtlSeconds: 600 });
      const { apiKey } = await h.newAccount();
      const long = await h.call("POST", "/v1/tokens", apiKey, { ttl: 601 });
      expect(long.status).toBe(400);
      expect(long.body.error.message).toBe("ttl: must be at most 600 seconds");
      const host = await h.call("POST", "/v1/tokens", apiKey, { ttl: 60, callbackHosts: ["http://x/"] });
      expect(host.status).toBe(400);
      expect(host.body.error.message).toMatch(/^callbackHosts\.0: /);
    });
  });
});

afterAll(stopPostgres, 60_000);
