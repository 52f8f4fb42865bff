import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { webHarness, type WebHarness } from "../web/test-client.js";
import { softphoneRoutes } from "./index.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  describe("softphone page", () => {
    const app = softphoneRoutes();

    it("serves the page with an import map pointing at the vendored sip.js", async () => {
      const res = await app.request("/softphone");
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('{"imports": {"sip.js": "/vendor/sip.js/index.js"}}');
      expect(html).toContain("window.phone");
      expect(html).toContain('data-ws-port="5066"');
    });

    it("defaults the Gateway field to the configured WebSocket port", async () => {
      const html = await (await softphoneRoutes(15066).request("/softphone")).text();
      expect(html).toContain('data-ws-port="15066"');
    });

    it("serves sip.js's own modules, and nothing outside its lib folder", async () => {
      const js = await app.request("/vendor/sip.js/api/index.js");
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toContain("text/javascript");
      expect(await js.text()).toContain("export");
      expect((await app.request("/vendor/sip.js/..%2Fpackage.json")).status).toBe(404);
      expect((await app.request("/vendor/sip.js/index.d.ts")).status).toBe(404);
    });

    it("starts with every call button disabled: nothing makes sense before registering", async () => {
      const html = await (await app.request("/softphone")).text();
      for (const id of ["call", "hangup", "answer", "decline", "mute", "hold", "unregister"]) {
        expect(html, id).toMatch(new RegExp(`<button id="${id}"[^>]* disabled`));
      }
      expect(html).not.toMatch(/<button id="register"[^>]* disabled/);
      expect(html).toContain('data-state="unregistered"');
    });
  });

  describe("softphone page in the console", () => {
    let h: WebHarness;
    afterEach(() => h?.close());

    it("offers the signed-in account's SIP users, and no other account's", async () => {
      h = await webHarness(dialect);
      const a = await h.tenant("ops@acme.test");
      const b = await h.tenant("ops@other.test");
      const post = (key: string, path: string, body: unknown) =>
        h.app.request(path, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      expect((await post(a.apiKey, "/v1/domains", { name: "acme.sip.test" })).status).toBe(201);
      expect((await post(b.apiKey, "/v1/domains", { name: "other.sip.test" })).status).toBe(201);
      const cred = { domain: "acme.sip.test", username: "alice", password: "alice-secret" };
      expect((await post(a.apiKey, "/v1/credentials", cred)).status).toBe(201);
      const other = { domain: "other.sip.test", username: "mallory", password: "mallory-secret" };
      expect((await post(b.apiKey, "/v1/credentials", other)).status).toBe(201);

      const anonymous = await (await h.app.request("/softphone")).text();
      expect(anonymous).not.toContain('id="credential"');
      expect(anonymous).not.toContain("alice@acme.sip.test");

      const browser = h.browser();
      await browser.signIn("ops@acme.test", "correct horse battery");
      const html = await (await browser.get("/softphone")).text();
      expect(html).toContain('<option value="alice@acme.sip.test">');
      expect(html).not.toContain("mallory");
      expect(html).toContain('aria-current="page">Softphone</a>');
    });
  });
});

afterAll(stopPostgres, 60_000);
