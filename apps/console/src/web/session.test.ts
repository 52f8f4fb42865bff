import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { SESSION_TTL_MS } from "./session.js";
import { webHarness, type WebHarness } from "./test-client.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: WebHarness;
  afterEach(() => h?.close());

  const PASSWORD = "correct horse battery";

  describe("console sign-in", () => {
    it("sends an anonymous visitor to /sign-in and back to the page afterwards", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      const res = await b.get("/domains");
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/sign-in?next=%2Fdomains");

      const signIn = await b.post("/sign-in", {
        email: "OPS@acme.test",
        password: PASSWORD,
        next: "/domains",
      });
      expect(signIn.status).toBe(303);
      expect(signIn.headers.get("location")).toBe("/domains");
      const cookie = signIn.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^hookline_session=[A-Za-z0-9_-]{43};/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).not.toMatch(/Secure/);

      const page = await b.get("/");
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("<title>Overview · Hookline</title>");
      expect(html).toContain("ops@acme.test");
    });

    it("refuses a wrong password, and an unknown email, with the same answer", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      const wrong = await b.signIn("ops@acme.test", "not the password");
      const unknown = await b.signIn("nobody@acme.test", PASSWORD);
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(await wrong.text()).toContain("do not match a console user");
      expect(await unknown.text()).toContain("do not match a console user");
      expect(b.cookies.size).toBe(0);
    });

    it("marks the cookie Secure under TLS", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const res = await h.app.request("https://localhost/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://localhost" },
        body: new URLSearchParams({ email: "ops@acme.test", password: PASSWORD }),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get("set-cookie")).toMatch(/; Secure/);
    });

    it("never redirects off the site after sign-in", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const res = await h
        .browser()
        .post("/sign-in", { email: "ops@acme.test", password: PASSWORD, next: "//evil.test/x" });
      expect(res.headers.get("location")).toBe("/");
    });

    it("signing out ends the session on the server, not only in the browser", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const stolen = new Map(b.cookies);
      const out = await b.post("/sign-out", { _csrf: await b.csrf() });
      expect(out.status).toBe(303);
      expect(b.cookies.size).toBe(0);

      const replay = h.browser();
      for (const [k, v] of stolen) replay.cookies.set(k, v);
      expect((await replay.get("/")).status).toBe(303);
    });

    it("a session expires after its lifetime", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      h.clock.now += SESSION_TTL_MS - 1000;
      expect((await b.get("/")).status).toBe(200);
      h.clock.now += 1000;
      const res = await b.get("/");
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/sign-in");
    });
  });

  describe("CSRF", () => {
    it("refuses a form posted from another origin, even with the session cookie", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const csrf = await b.csrf("/domains");
      const res = await b.post(
        "/domains",
        { _csrf: csrf, name: "evil.test" },
        { origin: "https://evil.test" },
      );
      expect(res.status).toBe(403);
      expect(await (await b.get("/domains")).text()).not.toContain("evil.test");
    });

    it("refuses a same-origin form without the session's token", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      expect((await b.post("/domains", { name: "nocsrf.test" })).status).toBe(403);
      expect((await b.post("/domains", { name: "nocsrf.test", _csrf: "forged" })).status).toBe(403);
      expect(await (await b.get("/domains")).text()).not.toContain("nocsrf.test");
    });

    it("refuses a cross-origin sign-in (login CSRF)", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const res = await h
        .browser()
        .post("/sign-in", { email: "ops@acme.test", password: PASSWORD }, { origin: "https://evil.test" });
      expect(res.status).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    });
  });

  describe("password change", () => {
    it("needs the current password, then signs out the user's other sessions", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const here = h.browser();
      const elsewhere = h.browser();
      await here.signIn("ops@acme.test", PASSWORD);
      await elsewhere.signIn("ops@acme.test", PASSWORD);
      const csrf = await here.csrf("/account");

      const wrong = await here.post("/account/password", {
        _csrf: csrf,
        current: "guess",
        password: "new password 123",
      });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toMatch(
        /aria-invalid="true"[^>]*>\s*<span class="field-error" id="f-current-error">This is not your current password/,
      );

      const short = await here.post("/account/password", {
        _csrf: csrf,
        current: PASSWORD,
        password: "short",
      });
      expect(short.status).toBe(400);
      expect(await short.text()).toContain('id="f-password-error"');

      const ok = await here.post("/account/password", {
        _csrf: csrf,
        current: PASSWORD,
        password: "new password 123",
      });
      expect(ok.status).toBe(303);
      expect((await here.get("/")).status).toBe(200);
      expect((await elsewhere.get("/")).status).toBe(303);
      expect((await h.browser().signIn("ops@acme.test", PASSWORD)).status).toBe(401);
      expect((await h.browser().signIn("ops@acme.test", "new password 123")).status).toBe(303);
    });
  });
});

afterAll(stopPostgres, 60_000);
