import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { newId } from "@hookline/db";
import { harness } from "../test-helpers.js";
import type { Harness } from "../test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(dialect);
  });
  afterEach(() => h.close());

  describe("registrations", () => {
    it("lists the account's unexpired bindings only", async () => {
      const a = await h.newAccount("A");
      const b = await h.newAccount("B");
      const domA = (await h.call("POST", "/v1/domains", a.apiKey, { name: "a.sip.example" })).body.id;
      const domB = (await h.call("POST", "/v1/domains", b.apiKey, { name: "b.sip.example" })).body.id;
      const now = Date.now();
      const binding = (accountId: string, domainId: string, aor: string, expiresAt: number) => ({
        id: newId("reg"),
        accountId,
        domainId,
        aor,
        contact: `<sip:${aor.slice(4)};transport=ws>`,
        transport: "ws" as const,
        source: "203.0.113.7:52110",
        expiresAt,
        createdAt: now,
        updatedAt: now,
      });
      await h.store.db
        .insert(h.store.t.registrations)
        .values([
          binding(a.id, domA, "sip:alice@a.sip.example", now + 3_600_000),
          binding(a.id, domA, "sip:gone@a.sip.example", now - 1),
          binding(b.id, domB, "sip:bob@b.sip.example", now + 3_600_000),
        ]);

      const r = await h.call("GET", "/v1/registrations", a.apiKey);
      expect(r.status).toBe(200);
      expect(r.body.data).toHaveLength(1);
      expect(r.body.data[0]).toMatchObject({
        aor: "sip:alice@a.sip.example",
        transport: "ws",
        source: "203.0.113.7:52110",
        domain: "a.sip.example",
      });
      expect(r.body.data[0].expires).toBeGreaterThan(3000);
    });
  });
});

afterAll(stopPostgres, 60_000);
