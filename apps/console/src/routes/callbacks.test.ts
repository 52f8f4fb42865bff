import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { eq } from "@hookline/db";
import { harness } from "../test-helpers.js";
import type { Harness } from "../test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  afterEach(() => h.close());

  const valid = {
    url: "https://hooks.example.com/sip",
    events: ["sip.BYE", "sip.4xx", "call.completed"],
    filter: 'message.direction == "received" && message.headers["x-priority"] == "high"',
    description: "hangups",
  };

  describe("callbacks", () => {
    it("creates with a whsec_ secret (24 random bytes), lists without it, gets it back by id", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const created = await h.call("POST", "/v1/callbacks", apiKey, valid);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ...valid, enabled: true, callId: null, source: "api" });
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(Buffer.from(created.body.secret.slice(6), "base64")).toHaveLength(24);

      const list = await h.call("GET", "/v1/callbacks", apiKey);
      expect(list.body.data).toHaveLength(1);
      expect(list.body.data[0].secret).toBeUndefined();
      expect((await h.call("GET", `/v1/callbacks/${created.body.id}`, apiKey)).body.secret).toBe(
        created.body.secret,
      );
    });

    it("patches, clears the filter, disables, rotates the secret and deletes", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const { body: cb } = await h.call("POST", "/v1/callbacks", apiKey, valid);
      const patched = await h.call("PATCH", `/v1/callbacks/${cb.id}`, apiKey, {
        events: ["sip.*"],
        filter: null,
        enabled: false,
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ events: ["sip.*"], filter: null, enabled: false, url: valid.url });
      expect(patched.body.disabledReason).toBe("disabled by user");

      const rotated = await h.call("POST", `/v1/callbacks/${cb.id}/rotate-secret`, apiKey);
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(cb.secret);
      const [row] = await h.store.db
        .select()
        .from(h.store.t.callbacks)
        .where(eq(h.store.t.callbacks.id, cb.id));
      expect(row).toMatchObject({ secret: rotated.body.secret, previousSecret: cb.secret });

      expect((await h.call("DELETE", `/v1/callbacks/${cb.id}`, apiKey)).status).toBe(204);
      expect((await h.call("GET", `/v1/callbacks/${cb.id}`, apiKey)).status).toBe(404);
    });

    it("refuses a filter that does not compile with 400 naming filter", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      for (const filter of ['message.direction == "received" &&', "nosuchvar == 1"]) {
        const r = await h.call("POST", "/v1/callbacks", apiKey, { ...valid, filter });
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(/^filter: /);
      }
      const { body: cb } = await h.call("POST", "/v1/callbacks", apiKey, valid);
      const patch = await h.call("PATCH", `/v1/callbacks/${cb.id}`, apiKey, { filter: "((" });
      expect(patch.status).toBe(400);
      expect(patch.body.error.message).toMatch(/^filter: /);
    });

    it("refuses unknown event names with 400 naming events", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      for (const events of [["sip.999"], ["call.exploded"], ["sip.BYE", "nonsense"]]) {
        const r = await h.call("POST", "/v1/callbacks", apiKey, { ...valid, events });
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(/^events: /);
      }
    });

    it("refuses private and loopback URLs unless the operator allow-list names them", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      for (const url of [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest",
        "http://localhost/x",
      ]) {
        const r = await h.call("POST", "/v1/callbacks", apiKey, { ...valid, url });
        expect({ url, status: r.status }).toEqual({ url, status: 400 });
        expect(r.body.error.message).toMatch(/^url: /);
      }
      await h.close();

      h = await harness(dialect, { callbackAllowlist: "127.0.0.1" });
      const other = await h.newAccount();
      const ok = await h.call("POST", "/v1/callbacks", other.apiKey, {
        ...valid,
        url: "http://127.0.0.1:8080/hook",
      });
      expect(ok.status).toBe(201);
    });

    it("stores the URL in the one normalised form the SIP path stores, on create and update", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      // Regression: the API stored the URL as typed while X-Hookline-Callback stored it normalised.
      const created = await h.call("POST", "/v1/callbacks", apiKey, {
        ...valid,
        url: "HTTPS://Hooks.Example.COM:443/a/../sip",
      });
      expect(created.status).toBe(201);
      expect(created.body.url).toBe("https://hooks.example.com/sip");
      const patched = await h.call("PATCH", `/v1/callbacks/${created.body.id}`, apiKey, {
        url: "https://HOOKS.example.com",
      });
      expect(patched.body.url).toBe("https://hooks.example.com/");
      const [row] = await h.store.db.select().from(h.store.t.callbacks);
      expect(row?.url).toBe("https://hooks.example.com/");
    });

    it("refuses localhost. like localhost (trailing dot)", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const r = await h.call("POST", "/v1/callbacks", apiKey, { ...valid, url: "http://localhost./" });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toBe('url: host "localhost" is a local name');
    });

    it("checks a filter against the sample event: a compile error names filter, else true or false", async () => {
      h = await harness(dialect);
      const { apiKey } = await h.newAccount();
      const check = (filter: string) => h.call("POST", "/v1/callbacks/check-filter", apiKey, { filter });
      const broken = await check("message.direction ==");
      expect(broken.status).toBe(400);
      expect(broken.body.error.message).toMatch(/^filter: /);
      expect((await check(valid.filter)).body.match).toBe(true);
      expect((await check('message.direction == "sent"')).body.match).toBe(false);
    });
  });
});

afterAll(stopPostgres, 60_000);
