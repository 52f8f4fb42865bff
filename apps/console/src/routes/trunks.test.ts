import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { openSecret, trunkSecretContext } from "@hookline/auth-tokens";
import { eq, first } from "@hookline/db";
import { harness, TOKEN_SECRET } from "../test-helpers.js";
import type { Harness } from "../test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  afterEach(() => h.close());

  const carrier = {
    name: "carrier-a",
    outbound: {
      targets: [
        { host: "sip1.carrier.example", transport: "udp", priority: 10 },
        { host: "203.0.113.9", port: 5080, transport: "tcp", priority: 20 },
      ],
      credentials: { username: "acme", password: "carrier-secret" },
    },
    inbound: { addresses: ["203.0.113.0/24", "198.51.100.7"] },
    numberFormat: { countryCode: "1", techPrefix: "99#" },
    codecs: ["PCMU", "telephone-event"],
    fraudLimits: { deniedPrefixes: ["+882"], maxConcurrentCalls: 10, callsPerSecond: 2 },
  };

  describe("trunks", () => {
    it("creates with defaults filled in, never returns the password, and keeps it sealed for the gateway", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const created = await h.call("POST", "/v1/trunks", apiKey, carrier);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: "carrier-a",
        default: false,
        outbound: {
          targets: [
            { host: "sip1.carrier.example", port: 5060, transport: "udp", priority: 10 },
            { host: "203.0.113.9", port: 5080, transport: "tcp", priority: 20 },
          ],
          username: "acme",
          hasPassword: true,
        },
        inbound: { addresses: ["203.0.113.0/24", "198.51.100.7"], username: null, hasPassword: false },
        numberFormat: { countryCode: "1", nationalPrefix: null, techPrefix: "99#", outboundFormat: "e164" },
        codecs: ["PCMU", "telephone-event"],
        callerId: { number: null, assertIdentity: true },
        fraudLimits: {
          allowedPrefixes: [],
          deniedPrefixes: ["+882"],
          maxConcurrentCalls: 10,
          callsPerSecond: 2,
          dailyOutboundMinutes: null,
        },
      });
      expect(created.body.id).toMatch(/^trk_/);
      for (const path of ["/v1/trunks", `/v1/trunks/${created.body.id}`]) {
        const text = JSON.stringify((await h.call("GET", path, apiKey)).body);
        expect(text).toContain("carrier-a");
        expect(text).not.toContain("carrier-secret");
      }
      const row = first(
        await h.store.db
          .select()
          .from(h.store.t.trunks)
          .where(eq(h.store.t.trunks.id, created.body.id))
          .limit(1),
      );
      expect(row?.outboundPasswordSealed).not.toContain("carrier-secret");
      expect(
        openSecret(
          TOKEN_SECRET,
          row?.outboundPasswordSealed ?? "",
          trunkSecretContext(created.body.id, "outbound"),
        ),
      ).toBe("carrier-secret");
    });

    it("answers 409 for a duplicate name in the account, but another account may use it", async () => {
      h = await harness(dialect);
      const a = await h.newAccount("A");
      const b = await h.newAccount("B");
      expect((await h.call("POST", "/v1/trunks", a.apiKey, carrier)).status).toBe(201);
      const dup = await h.call("POST", "/v1/trunks", a.apiKey, { name: "carrier-a" });
      expect(dup.status).toBe(409);
      expect(dup.body.error.message).toMatch(/^name: /);
      expect((await h.call("POST", "/v1/trunks", b.apiKey, { name: "carrier-a" })).status).toBe(201);
    });

    it.each([
      [{ name: "bad name!" }, "name"],
      [{ name: "t", outbound: { targets: [{ host: "not a host" }] } }, "outbound.targets.0.host"],
      [
        { name: "t", outbound: { targets: [{ host: "h.example", transport: "sctp" }] } },
        "outbound.targets.0.transport",
      ],
      [{ name: "t", outbound: { targets: [{ host: "h.example", port: 70000 }] } }, "outbound.targets.0.port"],
      [{ name: "t", outbound: { credentials: { username: "u" } } }, "outbound.credentials.password"],
      [{ name: "t", inbound: { addresses: ["10.0.0.0/33"] } }, "inbound.addresses.0"],
      [{ name: "t", inbound: { addresses: ["example.com"] } }, "inbound.addresses.0"],
      [{ name: "t", numberFormat: { countryCode: "0" } }, "numberFormat.countryCode"],
      [{ name: "t", codecs: ["G729"] }, "codecs.0"],
      [{ name: "t", callerId: { number: "555" } }, "callerId.number"],
      [{ name: "t", fraudLimits: { maxConcurrentCalls: 0 } }, "fraudLimits.maxConcurrentCalls"],
      [{ name: "t", colour: "red" }, "colour"],
    ])("refuses %j with 400 naming %s", async (body, field) => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const r = await h.call("POST", "/v1/trunks", apiKey, body);
      expect(r.status).toBe(400);
      expect(r.body.error.message.startsWith(`${field}: `)).toBe(true);
    });

    it("patches field by field, clears credentials with null, keeps one default per account, deletes", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const a = (await h.call("POST", "/v1/trunks", apiKey, { ...carrier, default: true })).body;
      const b = (await h.call("POST", "/v1/trunks", apiKey, { name: "carrier-b" })).body;
      const patched = await h.call("PATCH", `/v1/trunks/${b.id}`, apiKey, {
        default: true,
        outbound: { targets: [{ host: "b.example" }] },
        numberFormat: { outboundFormat: "digits" },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        default: true,
        outbound: { targets: [{ host: "b.example", port: 5060, transport: "udp", priority: 0 }] },
        numberFormat: { outboundFormat: "digits", countryCode: null },
      });
      expect((await h.call("GET", `/v1/trunks/${a.id}`, apiKey)).body.default).toBe(false);

      const cleared = await h.call("PATCH", `/v1/trunks/${a.id}`, apiKey, {
        outbound: { credentials: null },
        fraudLimits: { callsPerSecond: null },
      });
      expect(cleared.body.outbound).toMatchObject({ username: null, hasPassword: false });
      expect(cleared.body.outbound.targets).toHaveLength(2);
      expect(cleared.body.fraudLimits).toMatchObject({ callsPerSecond: null, maxConcurrentCalls: 10 });
      expect((await h.call("PATCH", `/v1/trunks/${a.id}`, apiKey, { name: "carrier-b" })).status).toBe(409);

      expect((await h.call("DELETE", `/v1/trunks/${a.id}`, apiKey)).status).toBe(204);
      expect((await h.call("GET", `/v1/trunks/${a.id}`, apiKey)).status).toBe(404);
    });

    it("hides another account's trunk behind a 404", async () => {
      h = await harness(dialect);
      const a = await h.newAccount("A");
      const b = await h.newAccount("B");
      const t = (await h.call("POST", "/v1/trunks", a.apiKey, carrier)).body;
      expect((await h.call("GET", `/v1/trunks/${t.id}`, b.apiKey)).status).toBe(404);
      expect((await h.call("PATCH", `/v1/trunks/${t.id}`, b.apiKey, { codecs: ["PCMA"] })).status).toBe(404);
      expect((await h.call("DELETE", `/v1/trunks/${t.id}`, b.apiKey)).status).toBe(404);
    });
  });

  describe("numbers", () => {
    it("adds an E.164 number on a trunk and a domain's user, lists, gets and releases it", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      await h.call("POST", "/v1/trunks", apiKey, carrier);
      await h.call("POST", "/v1/domains", apiKey, { name: "acme.sip.example" });
      const created = await h.call("POST", "/v1/numbers", apiKey, {
        number: "+1 (555) 123-4567",
        trunk: "carrier-a",
        domain: "acme.sip.example",
        user: "alice",
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        number: "+15551234567",
        trunk: "carrier-a",
        domain: "acme.sip.example",
        user: "alice",
      });
      expect(created.body.id).toMatch(/^num_/);
      expect((await h.call("GET", "/v1/numbers", apiKey)).body.data).toHaveLength(1);
      expect((await h.call("GET", `/v1/numbers/${created.body.id}`, apiKey)).body.number).toBe(
        "+15551234567",
      );
      expect((await h.call("DELETE", `/v1/numbers/${created.body.id}`, apiKey)).status).toBe(204);
      expect((await h.call("GET", `/v1/numbers/${created.body.id}`, apiKey)).status).toBe(404);
    });

    it("answers 409 for a number another account holds, without naming that account", async () => {
      h = await harness(dialect);
      const a = await h.newAccount("Holder Inc");
      const b = await h.newAccount("B");
      expect((await h.call("POST", "/v1/numbers", a.apiKey, { number: "+442071234567" })).status).toBe(201);
      const dup = await h.call("POST", "/v1/numbers", b.apiKey, { number: "+442071234567" });
      expect(dup.status).toBe(409);
      expect(dup.body.error.message).toMatch(/^number: /);
      expect(JSON.stringify(dup.body)).not.toMatch(/Holder|acc_/);
    });

    it.each([
      [{ number: "5551234567" }, "number"],
      [{ number: "+0123" }, "number"],
      [{ number: "+1234567890123456" }, "number"],
      [{ number: "+15551234567", user: "alice" }, "user"],
      [{ number: "+15551234567", trunk: "nope" }, "trunk"],
      [{ number: "+15551234567", domain: "nope.example" }, "domain"],
    ])("refuses %j with 400 naming %s", async (body, field) => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const r = await h.call("POST", "/v1/numbers", apiKey, body);
      expect(r.status).toBe(400);
      expect(r.body.error.message.startsWith(`${field}: `)).toBe(true);
    });
  });

  describe("trunk health in the API", () => {
    const downHealth = {
      state: "down" as const,
      targets: [
        {
          host: "203.0.113.9",
          port: 5080,
          transport: "tcp" as const,
          state: "down" as const,
          since: "2026-12-05T21:00:00.000Z",
          lastError: "timeout",
        },
      ],
    };

    it("is null when no gateway runs in the process", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const created = await h.call("POST", "/v1/trunks", apiKey, carrier);
      expect(created.body.health).toBeNull();
    });

    it("shows the monitor's state per trunk, in GET and in the list", async () => {
      const asked: string[] = [];
      h = await harness(
        dialect,
        {},
        {
          trunkHealth: (id) => {
            asked.push(id);
            return downHealth;
          },
        },
      );
      const { apiKey } = await h.newAccount();
      const created = await h.call("POST", "/v1/trunks", apiKey, carrier);
      const one = await h.call("GET", `/v1/trunks/${created.body.id}`, apiKey);
      expect(one.body.health).toEqual(downHealth);
      const list = await h.call("GET", "/v1/trunks", apiKey);
      expect(list.body.data[0].health.state).toBe("down");
      expect(asked).toContain(created.body.id);
    });
  });
});

afterAll(stopPostgres, 60_000);
