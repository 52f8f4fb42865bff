/**
 * The console's web pages (SPEC §1 web console): server-rendered, forms that work without script.
 * Every form POST passes hono's `csrf` (Origin / Sec-Fetch-Site) and, once signed in, the
 * session's own token (./session.ts).
 */
import { Hono } from "hono";
import { csrf } from "hono/csrf";
import type { RouteDeps } from "../context.js";
import { accountApi } from "./account-api.js";
import { apiKeyPages } from "./api-keys.js";
import { assetRoutes } from "./assets.js";
import { authPages } from "./auth-pages.js";
import { domainPages } from "./domains.js";
import { credentialPages } from "./credentials.js";
import { callbackPages } from "./callbacks/index.js";
import { deliveryPages } from "./deliveries/index.js";
import { trunkPages } from "./trunks.js";
import { overviewPage } from "./overview.js";
import { requireWebUser } from "./session.js";
import type { WebEnv } from "./session.js";

export { requireWebUser } from "./session.js";
export type { WebEnv } from "./session.js";

/** The pages' paths behind sign-in (the calls pages bring their own `requireWebUser`). */
const SIGNED_IN = [
  "/",
  "/api-keys",
  "/api-keys/*",
  "/domains",
  "/domains/*",
  "/credentials",
  "/credentials/*",
  "/callbacks",
  "/callbacks/*",
  "/deliveries",
  "/deliveries/*",
  "/trunks",
  "/trunks/*",
];

export function webRoutes(deps: RouteDeps) {
  const app = new Hono<WebEnv>();
  const api = accountApi(deps);
  app.route("/", assetRoutes());
  // Scoped to the pages: a "*" here would also cover /v1, mounted beside them.
  for (const path of ["/sign-in", "/sign-out", "/account", "/account/*", ...SIGNED_IN]) {
    app.use(path, csrf());
    // A page may show a secret once (a new API key, a hook secret): no browser or proxy keeps it.
    app.use(path, async (c, next) => {
      await next();
      if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
    });
  }
  app.route("/", authPages(deps));
  for (const path of SIGNED_IN) app.use(path, requireWebUser(deps));
  app.route("/", overviewPage(deps));
  app.route("/", apiKeyPages(deps));
  app.route("/", domainPages(api));
  app.route("/", credentialPages(api));
  app.route("/", callbackPages(api));
  app.route("/", deliveryPages(api));
  app.route("/", trunkPages(api));
  return app;
}
