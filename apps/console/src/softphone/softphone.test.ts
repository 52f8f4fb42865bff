import { describe, expect, it } from "vitest";
import { softphoneRoutes } from "./index.js";

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
});
