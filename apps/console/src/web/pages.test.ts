import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { OPERATOR } from "../test-helpers.js";
import { webHarness, type WebHarness } from "./test-client.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: WebHarness;
  afterEach(() => h?.close());

  const PASSWORD = "correct horse battery";

  const api = (h: WebHarness, method: string, path: string, token: string, body?: unknown) =>
    h.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  describe("account isolation", () => {
    it("a user of account B gets 404 for account A's domain page, and cannot delete it", async () => {
      h = await webHarness(dialect);
      const a = await h.tenant("a@acme.test");
      await h.tenant("b@other.test");
      const created = await api(h, "POST", "/v1/domains", a.apiKey, { name: "a.sip.test" });
      const { id } = (await created.json()) as { id: string };

      const b = h.browser();
      await b.signIn("b@other.test", PASSWORD);
      const page = await b.get(`/domains/${id}`);
      expect(page.status).toBe(404);
      expect(await page.text()).not.toContain("a.sip.test");
      expect(await (await b.get("/domains")).text()).not.toContain("a.sip.test");
      const del = await b.post(`/domains/${id}/delete`, { _csrf: await b.csrf("/domains") });
      expect(del.status).toBe(404);
      expect((await api(h, "GET", `/v1/domains/${id}`, a.apiKey)).status).toBe(200);

      const owner = h.browser();
      await owner.signIn("a@acme.test", PASSWORD);
      expect((await owner.get(`/domains/${id}`)).status).toBe(200);
    });
  });

  describe("domains and users through the forms", () => {
    it("shows the API's error next to the field, creates, shows the hook secret once, rotates", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const csrf = await b.csrf("/domains");

      const bad = await b.post("/domains", { _csrf: csrf, name: "not a domain", applicationUrl: "ftp://x" });
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toContain('id="f-name-error">must be a DNS name such as acme.sip.example');
      expect(badHtml).toContain('id="f-applicationUrl-error">Invalid URL');
      expect(badHtml).toContain('value="not a domain"');

      const loopback = await b.post("/domains", {
        _csrf: csrf,
        name: "acme.sip.test",
        applicationUrl: "http://127.0.0.1/hook",
      });
      expect(loopback.status).toBe(400);
      expect(await loopback.text()).toMatch(/id="f-applicationUrl-error">[^<]*loopback/);

      const ok = await b.post("/domains", {
        _csrf: csrf,
        name: "acme.sip.test",
        applicationUrl: "https://app.example.com/hook",
      });
      // Post/redirect/get: the secret is shown once on the domain's page; a reload makes no second domain.
      expect(ok.status).toBe(303);
      const secret = /(whsec_[A-Za-z0-9+/=]+)/.exec(await (await b.follow(ok)).text())?.[1];
      expect(secret).toBeDefined();
      const list = await (await b.get("/domains")).text();
      expect(list).toContain("acme.sip.test");
      const id = /href="\/domains\/(dom_[a-z0-9]+)"/.exec(list)?.[1] ?? "";
      expect(ok.headers.get("location")).toBe(`/domains/${id}`);
      expect(await (await b.get(`/domains/${id}`)).text()).not.toContain(secret);

      const rotation = await b.post(`/domains/${id}/rotate-secret`, { _csrf: csrf });
      expect(rotation.status).toBe(303);
      const next = /(whsec_[A-Za-z0-9+/=]+)/.exec(await (await b.follow(rotation)).text())?.[1];
      expect(next).toBeDefined();
      expect(next).not.toBe(secret);
      expect(await (await b.get(`/domains/${id}`)).text()).not.toContain(next);

      const dup = await b.post("/domains", { _csrf: csrf, name: "acme.sip.test" });
      expect(dup.status).toBe(400);
      expect(await dup.text()).toContain('id="f-name-error">domain acme.sip.test already exists');

      const user = await b.post("/credentials", {
        _csrf: csrf,
        domain: "acme.sip.test",
        username: "alice",
        password: "short",
      });
      expect(user.status).toBe(400);
      expect(await user.text()).toContain('id="f-password-error"');
      const made = await b.post("/credentials", {
        _csrf: csrf,
        domain: "acme.sip.test",
        username: "alice",
        password: "alice-secret",
      });
      // Post/redirect/get: a reload of the list does not create the user again.
      expect(made.status).toBe(303);
      expect(made.headers.get("location")).toBe("/credentials?created=alice%40acme.sip.test");
      const users = await (await b.get("/credentials?created=alice%40acme.sip.test")).text();
      expect(users).toContain("User <strong>alice@acme.sip.test</strong> created");
      expect(users).not.toContain("alice-secret");
      // The note names only a user of the account, whatever a link says.
      const forged = await (await b.get("/credentials?created=mallory%40acme.sip.test")).text();
      expect(forged).not.toContain("mallory");
    });
  });

  describe("API keys page", () => {
    it("shows a new key only on the page it was made for, and only once", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const csrf = await b.csrf("/api-keys");
      await b.post("/api-keys", { _csrf: csrf, name: "billing" });
      const key = /hk_[A-Za-z0-9_-]{43}/;
      // Another page does not show it; the page it was made for does, once.
      expect(await (await b.get("/domains")).text()).not.toMatch(key);
      expect(await (await b.get("/api-keys")).text()).toMatch(key);
      expect(await (await b.get("/api-keys")).text()).not.toMatch(key);
    });

    it("shows a new key once; it works on the API until revoked", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const csrf = await b.csrf("/api-keys");
      const revokeForms = (html: string) =>
        html.match(/action="\/api-keys\/key_[a-z0-9]+\/revoke"/g)?.length ?? 0;
      const before = await (await b.get("/api-keys")).text();
      const made = await b.post("/api-keys", { _csrf: csrf, name: "billing" });
      // Post/redirect/get: a reload of the list makes no second key.
      expect(made.status).toBe(303);
      expect(made.headers.get("location")).toBe("/api-keys");
      const html = await (await b.follow(made)).text();
      const key = /(hk_[A-Za-z0-9_-]{43})/.exec(html)?.[1] ?? "";
      expect((await api(h, "GET", "/v1/domains", key)).status).toBe(200);
      const list = await (await b.get("/api-keys")).text();
      expect(list).toContain("billing");
      expect(list).not.toContain(key);
      expect(revokeForms(list)).toBe(revokeForms(before) + 1);

      // The row whose revoke button names this key's visible prefix.
      const forms = [
        ...list.matchAll(/action="\/api-keys\/(key_[a-z0-9]+)\/revoke"[^]*?aria-label="Revoke key ([^"]+)"/g),
      ];
      const id = forms.find((m) => m[2] === key.slice(0, 10))?.[1];
      expect(id).toBeDefined();
      expect((await b.post(`/api-keys/${id}/revoke`, { _csrf: csrf })).status).toBe(303);
      expect(await (await b.get("/api-keys")).text()).toMatch(/revoked <time datetime="2026-/);
      // Pages that show secrets once are kept by no cache; the stylesheet may be.
      expect((await b.get("/api-keys")).headers.get("cache-control")).toBe("no-store");
      expect((await b.get("/console.css")).headers.get("cache-control")).toBe("public, max-age=300");
      expect((await api(h, "GET", "/v1/domains", key)).status).toBe(401);
    });
  });

  describe("POST /v1/accounts/{id}/users (operator)", () => {
    it("creates a console user with a generated password shown once, who can sign in", async () => {
      h = await webHarness(dialect);
      const acc = (await (await api(h, "POST", "/v1/accounts", OPERATOR, { name: "Acme" })).json()) as {
        id: string;
        apiKey: string;
      };
      expect(
        (await api(h, "POST", `/v1/accounts/${acc.id}/users`, acc.apiKey, { email: "x@acme.test" })).status,
      ).toBe(401);
      const res = await api(h, "POST", `/v1/accounts/${acc.id}/users`, OPERATOR, {
        email: "First@Acme.test",
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { id: string; email: string; password: string };
      expect(body.email).toBe("first@acme.test");
      expect(body.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect((await h.browser().signIn("first@acme.test", body.password)).status).toBe(303);

      const dup = await api(h, "POST", `/v1/accounts/${acc.id}/users`, OPERATOR, {
        email: "first@acme.test",
        password: "another password",
      });
      expect(dup.status).toBe(409);
      const none = await api(h, "POST", "/v1/accounts/acc_nope/users", OPERATOR, { email: "y@acme.test" });
      expect(none.status).toBe(404);
      const weak = await api(h, "POST", `/v1/accounts/${acc.id}/users`, OPERATOR, {
        email: "z@acme.test",
        password: "short",
      });
      expect(weak.status).toBe(400);
      expect(((await weak.json()) as { error: { message: string } }).error.message).toMatch(/^password: /);

      const doc = (await (await h.app.request("/v1/openapi.json")).json()) as {
        paths: Record<string, Record<string, { operationId?: string }>>;
      };
      expect(doc.paths["/v1/accounts/{id}/users"]?.["post"]?.operationId).toBe("createConsoleUser");
    });
  });
});

afterAll(stopPostgres, 60_000);
