import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { eq } from "@hookline/db";
import { webHarness, type WebHarness } from "../test-client.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: WebHarness;
  afterEach(() => h?.close());

  const PASSWORD = "correct horse battery";

  async function signedIn(email: string) {
    const b = h.browser();
    await b.signIn(email, PASSWORD);
    return { b, csrf: await b.csrf("/callbacks/new") };
  }

  describe("callbacks pages", () => {
    it("shows the API's errors next to the fields, creates with the secret shown once, edits and disables", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const { b, csrf } = await signedIn("ops@acme.test");
      expect(await (await b.get("/callbacks")).text()).toContain("No callbacks yet");

      const bad = await b.post("/callbacks", {
        _csrf: csrf,
        url: "https://app.example.com/hook",
        events: ["sip.BYE"],
        moreEvents: "",
        filter: "message.direction ==",
      });
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toMatch(/id="f-filter-check" class="field-error"[^>]*>does not compile/);
      expect(badHtml).toContain('value="sip.BYE" checked');

      const noEvents = await b.post("/callbacks", { _csrf: csrf, url: "https://app.example.com/hook" });
      expect(noEvents.status).toBe(400);
      expect(await noEvents.text()).toContain('id="f-events-error"');

      const ok = await b.post("/callbacks", {
        _csrf: csrf,
        url: "https://app.example.com/hook",
        events: ["sip.*", "call.completed"],
        moreEvents: "sip.487",
        filter: 'message.direction == "received"',
        description: "hangups",
      });
      // Post/redirect/get: the secret is shown once on the callback's page; a reload makes no second one.
      expect(ok.status).toBe(303);
      const html = await (await b.follow(ok)).text();
      const secret = /(whsec_[A-Za-z0-9+/=]+)/.exec(html)?.[1];
      expect(secret).toBeDefined();
      expect(html).toContain("Callback created.");
      const id = /action="\/callbacks\/(cb_[a-z0-9]+)\/test"/i.exec(html)?.[1] ?? "";
      expect(id).not.toBe("");
      expect(ok.headers.get("location")).toBe(`/callbacks/${id}`);
      expect(html).toContain('value="sip.487"');
      expect(await (await b.get(`/callbacks/${id}`)).text()).not.toContain(secret);
      const list = await (await b.get("/callbacks")).text();
      expect(list.match(/href="\/callbacks\/cb_/g)).toHaveLength(1);

      const saved = await b.post(`/callbacks/${id}`, {
        _csrf: csrf,
        url: "https://app.example.com/hook2",
        events: ["call.*"],
        filter: "",
      });
      expect(saved.status).toBe(303);
      const after = await (await b.get(`/callbacks/${id}`)).text();
      expect(after).toContain("https://app.example.com/hook2");
      expect(after).toContain('value="call.*" checked');

      expect((await b.post(`/callbacks/${id}/disable`, { _csrf: csrf })).status).toBe(303);
      expect(await (await b.get("/callbacks")).text()).toContain("Disabled: disabled by user");
      const rotation = await b.post(`/callbacks/${id}/rotate-secret`, { _csrf: csrf });
      expect(rotation.status).toBe(303);
      const rotated = await (await b.follow(rotation)).text();
      const next = /(whsec_[A-Za-z0-9+/=]+)/.exec(rotated)?.[1];
      expect(next).toBeDefined();
      expect(next).not.toBe(secret);
      expect(rotated).toContain("The old secret keeps signing until");
      // A reload shows the page without the secret and rotates nothing.
      expect(await (await b.get(`/callbacks/${id}`)).text()).not.toContain(next);
      expect((await b.post(`/callbacks/${id}/delete`, { _csrf: csrf })).status).toBe(303);
      expect((await b.get(`/callbacks/${id}`)).status).toBe(404);
    });

    it("checks a filter as you type: the compile error, or true / false on the sample event", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const { b, csrf } = await signedIn("ops@acme.test");
      const check = async (filter: string) => {
        const res = await b.post("/callbacks/check-filter", { _csrf: csrf, filter });
        return { status: res.status, body: (await res.json()) as { match?: boolean; error?: string } };
      };
      const broken = await check("message.direction ==");
      expect(broken.status).toBe(400);
      expect(broken.body.error).toMatch(/does not compile/);
      expect((await check('message.headers["x-priority"] == "high"')).body).toEqual({ match: true });
      expect((await check('type == "call.failed"')).body).toEqual({ match: false });
      expect((await check("nosuch == 1")).body.error).toMatch(/unknown variable "nosuch"/);
      const js = await b.get("/callbacks/callback-form.js");
      expect(js.headers.get("content-type")).toMatch(/javascript/);
    });

    it("a test event is recorded as a delivery shown on the callback's and the deliveries pages; another account sees none of it", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      await h.tenant("eve@other.test");
      const { b, csrf } = await signedIn("ops@acme.test");
      const created = await (
        await b.follow(
          await b.post("/callbacks", {
            _csrf: csrf,
            url: "https://app.example.com/hook",
            events: ["call.*"],
          }),
        )
      ).text();
      const id = /action="\/callbacks\/(cb_[a-z0-9]+)\/test"/i.exec(created)?.[1] ?? "";

      const sent = await b.post(`/callbacks/${id}/test`, { _csrf: csrf });
      expect(sent.status).toBe(303);
      const where = sent.headers.get("location") ?? "";
      expect(where).toMatch(/^\/deliveries\/dlv_/);
      const dId = where.slice("/deliveries/".length);
      const page = await (await b.get(where)).text();
      expect(page).toContain("call.completed");
      expect(page).toContain("Pending");
      expect(page).toContain("&quot;test&quot;: true");
      expect(await (await b.get(`/callbacks/${id}`)).text()).toContain(`href="/deliveries/${dId}"`);
      expect(await (await b.get("/deliveries")).text()).toContain(`href="/deliveries/${dId}"`);
      expect(await (await b.get("/deliveries?status=succeeded")).text()).not.toContain(dId);

      // Still pending: replaying it now is a conflict, said on the page.
      expect((await b.post(`/deliveries/${dId}/replay`, { _csrf: csrf })).status).toBe(409);
      // Made a dead letter, "replay all" puts it back to pending.
      await h.store.db
        .update(h.store.t.deliveries)
        .set({ status: "failed", completedAt: 1 })
        .where(eq(h.store.t.deliveries.id, dId));
      expect(await (await b.get("/")).text()).toContain('href="/deliveries?status=failed"');
      expect(await (await b.get("/deliveries?status=failed")).text()).toContain(`href="/deliveries/${dId}"`);
      const all = await b.post("/deliveries/replay", { _csrf: csrf, callback: id, back: "//evil.example" });
      expect(all.status).toBe(303);
      expect(all.headers.get("location")).toBe("/deliveries?replayed=1");
      expect(await (await b.get(`/deliveries/${dId}`)).text()).toContain("Pending");

      const eve = await signedIn("eve@other.test");
      for (const path of [`/callbacks/${id}`, `/deliveries/${dId}`]) {
        const r = await eve.b.get(path);
        expect(r.status).toBe(404);
        expect(await r.text()).not.toContain("app.example.com");
      }
      expect((await eve.b.post(`/callbacks/${id}/test`, { _csrf: eve.csrf })).status).toBe(404);
      expect((await eve.b.post(`/deliveries/${dId}/replay`, { _csrf: eve.csrf })).status).toBe(404);
      expect(await (await eve.b.get("/deliveries")).text()).not.toContain(dId);
      expect(await (await eve.b.get("/callbacks")).text()).not.toContain(id);
    });
  });
});

afterAll(stopPostgres, 60_000);
