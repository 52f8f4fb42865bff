import { Hono } from "hono";
import { softphonePage } from "./page.js";
import { mountSipJs } from "./vendor.js";

/** `GET /softphone` and the sip.js modules it loads (`/vendor/sip.js/...`). */
export function softphoneRoutes(wsPort?: number): Hono {
  const app = new Hono();
  app.get("/softphone", (c) => c.html(softphonePage(wsPort)));
  mountSipJs(app);
  return app;
}
