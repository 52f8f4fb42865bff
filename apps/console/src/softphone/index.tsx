/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { Hono } from "hono";
import type { RouteDeps } from "../context.js";
import { accountApi } from "../web/account-api.js";
import { currentUser } from "../web/session.js";
import { SoftphonePage, type SoftphoneCredential } from "./page.js";
import { mountSipJs } from "./vendor.js";

/**
 * `GET /softphone` and the sip.js modules it loads (`/vendor/sip.js/...`). The page works for
 * anyone who knows a SIP user's password; with `deps` and a signed-in session it also shows the
 * console's navigation and offers the account's SIP users (through the REST route, in process).
 */
export function softphoneRoutes(wsPort = 5066, deps?: RouteDeps): Hono {
  const app = new Hono();
  const api = deps && accountApi(deps);
  app.get("/softphone", async (c) => {
    const user = deps ? await currentUser(c, deps) : null;
    let credentials: SoftphoneCredential[] = [];
    if (user && api) {
      const r = await api<{ data: SoftphoneCredential[] }>(user.accountId, "GET", "/v1/credentials");
      if (r.ok) credentials = r.body.data.map(({ username, domain }) => ({ username, domain }));
    }
    return c.html(<SoftphonePage wsPort={wsPort} user={user ?? undefined} credentials={credentials} />);
  });
  mountSipJs(app);
  return app;
}
