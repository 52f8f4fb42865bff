/**
 * Serves sip.js's own ES modules to the browser under `/vendor/sip.js/`: the softphone page loads
 * them through an import map, so there is no bundler and no copy of the library in the repo.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Hono } from "hono";

const require = createRequire(import.meta.url);
/** `node_modules/sip.js/lib`, wherever npm hoisted it. */
export const SIP_JS_LIB = path.dirname(require.resolve("sip.js"));

export function mountSipJs(app: Hono): void {
  app.get("/vendor/sip.js/*", async (c) => {
    const rel = decodeURIComponent(c.req.path.slice("/vendor/sip.js/".length));
    const file = path.resolve(SIP_JS_LIB, rel);
    // Only .js files inside the library folder: no `..` walks out of it.
    if (!file.startsWith(SIP_JS_LIB + path.sep) || !file.endsWith(".js")) return c.notFound();
    try {
      const body = await readFile(file, "utf8");
      return c.body(body, 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=3600",
      });
    } catch {
      return c.notFound();
    }
  });
}
