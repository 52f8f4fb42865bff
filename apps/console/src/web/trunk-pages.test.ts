import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { eq, first } from "@hookline/db";
import { webHarness, type WebHarness } from "./test-client.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: WebHarness;
  afterEach(() => h?.close());

  const PASSWORD = "correct horse battery";

  describe("trunk pages", () => {
    it("creates a trunk from the form, shows errors by section, edits keeping the password, deletes", async () => {
      h = await webHarness(dialect);
      await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const csrf = await b.csrf("/trunks");
      expect(await (await b.get("/trunks")).text()).toContain('href="/trunks" aria-current="page"');

      const bad = await b.post("/trunks", {
        _csrf: csrf,
        name: "carrier-a",
        targets: "sip.carrier.example:5060 sctp",
        addresses: "10.0.0.0/40",
      });
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toMatch(/id="f-targets-error">[^<]*udp/);
      expect(badHtml).toMatch(/id="f-addresses-error">[^<]*CIDR/);
      expect(badHtml).toContain("sip.carrier.example:5060 sctp");

      const ok = await b.post("/trunks", {
        _csrf: csrf,
        name: "carrier-a",
        default: "on",
        targets: "sip1.carrier.example\n203.0.113.9:5080 tcp",
        outboundUsername: "acme",
        outboundPassword: "carrier-secret",
        addresses: "203.0.113.0/24",
        countryCode: "1",
        maxConcurrentCalls: "5",
      });
      expect(ok.status).toBe(303);
      const page = ok.headers.get("location") ?? "";
      expect(page).toMatch(/^\/trunks\/trk_/);
      const html = await (await b.get(page)).text();
      expect(html).toContain("sip1.carrier.example:5060 udp\n203.0.113.9:5080 tcp");
      expect(html).not.toContain("carrier-secret");

      const saved = await b.post(page, {
        _csrf: csrf,
        name: "carrier-a",
        targets: "sip2.carrier.example",
        outboundUsername: "acme",
        outboundPassword: "",
        maxConcurrentCalls: "",
      });
      expect(saved.status).toBe(303);
      const id = page.split("/").pop() ?? "";
      const row = first(
        await h.store.db.select().from(h.store.t.trunks).where(eq(h.store.t.trunks.id, id)).limit(1),
      );
      expect(row).toMatchObject({ outboundUsername: "acme", isDefault: false });
      expect(row?.outboundPasswordSealed).toMatch(/^v1\./);
      expect(row?.fraudLimits.maxConcurrentCalls).toBeNull();
      const edited = await (await b.get(page)).text();
      expect(edited).toContain("sip2.carrier.example:5060 udp");
      expect(edited).not.toContain("203.0.113.9");
      const list = await (await b.get("/trunks")).text();
      expect(list).toContain("carrier-a");
      expect(list).not.toContain("(default)");
      expect(list).toContain("not monitored here");

      expect((await b.post(`${page}/delete`, { _csrf: csrf })).status).toBe(303);
      expect((await b.get(page)).status).toBe(404);
    });

    it("shows each trunk's health from the gateway's monitor, in the list and on its page", async () => {
      h = await webHarness(dialect, {
        trunkHealth: () => ({
          state: "down",
          targets: [
            {
              host: "203.0.113.9",
              port: 5060,
              transport: "udp",
              state: "down",
              since: "2026-06-01T11:59:00.000Z",
              lastError: "timeout",
            },
          ],
        }),
      });
      const { apiKey } = await h.tenant("ops@acme.test");
      const b = h.browser();
      await b.signIn("ops@acme.test", PASSWORD);
      const created = await h.app.request("/v1/trunks", {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "carrier-a", outbound: { targets: [{ host: "203.0.113.9" }] } }),
      });
      const { id } = (await created.json()) as { id: string };
      const list = await (await b.get("/trunks")).text();
      expect(list).toContain('<span class="state state-down">down</span>');
      const page = await (await b.get(`/trunks/${id}`)).text();
      expect(page).toContain("203.0.113.9:5060/udp");
      expect(page).toContain("2026-06-01T11:59:00.000Z");
      expect(page).toContain("timeout");
    });
  });
});

afterAll(stopPostgres, 60_000);
