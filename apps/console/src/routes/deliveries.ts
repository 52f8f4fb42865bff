// Stub: the delivery log belongs to the callbacks engine's owner, who replaces this file.
// Mounted under /v1 with account-key auth already applied (c.var.accountId is set).
import { newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { ApiError } from "../errors.js";

export function deliveryRoutes(_deps: RouteDeps) {
  const app = newRouter();
  const notYet = () => {
    throw new ApiError(501, "not_implemented", "deliveries are not implemented yet");
  };
  app.get("/deliveries", notYet);
  app.get("/deliveries/:id", notYet);
  app.post("/deliveries/:id/replay", notYet);
  return app;
}
