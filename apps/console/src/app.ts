import { OpenAPIHono } from "@hono/zod-openapi";
import type { Store } from "@hookline/db";
import { parseAllowlist } from "@hookline/callbacks";
import { authenticate } from "./auth.js";
import { limitBody } from "./body-limit.js";
import { noRoute, routeGate } from "./route-gate.js";
import { validationHook } from "./context.js";
import type { AppEnv, ConsoleConfig, RouteDeps } from "./context.js";
import type { NotFoundHandler } from "hono";
import { errorResponse } from "./errors.js";
import { accountRoutes } from "./routes/accounts.js";
import { consoleUserRoutes } from "./routes/console-users.js";
import { callbackRoutes } from "./routes/callbacks.js";
import { clusterRoutes } from "./routes/cluster.js";
import { callRoutes } from "./routes/calls.js";
import { credentialRoutes } from "./routes/credentials.js";
import { deliveryRoutes } from "./routes/deliveries.js";
import { domainRoutes } from "./routes/domains.js";
import { registrationRoutes } from "./routes/registrations.js";
import { tokenRoutes } from "./routes/tokens.js";
import { numberRoutes } from "./routes/numbers.js";
import { trunkRoutes } from "./routes/trunks.js";
import { softphoneRoutes } from "./softphone/index.js";
import { startCallRoutes, type StartCallPort } from "./routes/start-call.js";
import { registerApplicationWebhooks } from "./openapi-webhooks.js";
import { webRoutes } from "./web/index.js";
import { callPages } from "./web/calls/index.js";
import { requireWebUser } from "./web/session.js";

export interface CreateConsoleAppOptions {
  /** The database on either dialect (SPEC §2). */
  store: Store;
  config: ConsoleConfig;
  /** Clock in ms; tests may pin it. */
  now?: () => number;
  /**
   * The gateway's call recorder batches its writes; the calls routes call this before they read,
   * so an API client sees a call as soon as its events do. Absent: nothing is batched here.
   */
  flushCallRecords?: () => void | Promise<void>;
  /** Starts calls for `POST /v1/calls` (the gateway's, when it runs in this process). */
  startCall?: StartCallPort;
  /** Trunk health from the gateway's OPTIONS monitor (when it runs in this process). */
  trunkHealth?: RouteDeps["trunkHealth"];
}

/** JSON 404 for paths outside `/v1`; an app mounting the console sets it as its own `notFound`. */
export const notFoundResponse: NotFoundHandler = (c) => errorResponse(noRoute(c), c);

/** The console: REST API under `/v1` (SPEC §3), its OpenAPI document, and the web console (./web). */
export function createConsoleApp({
  store,
  config,
  now = Date.now,
  flushCallRecords = () => {},
  startCall,
  trunkHealth,
}: CreateConsoleAppOptions) {
  const parsed = parseAllowlist(config.callbackAllowlist);
  if (!parsed.ok) throw new Error(`HOOKLINE_CALLBACK_ALLOWLIST: ${parsed.error}`);
  const deps: RouteDeps = { store, config, allowlist: parsed.allowlist, now, flushCallRecords, trunkHealth };

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(errorResponse);
  app.notFound(notFoundResponse);

  app.use("/v1/*", routeGate(app));
  app.use("/v1/*", authenticate(store, config.operatorToken));
  // After authentication, so an anonymous client cannot make the server buffer even 1 MiB.
  app.use("*", limitBody());
  app.route("/v1", accountRoutes(deps));
  app.route("/v1", consoleUserRoutes(deps));
  app.route("/v1", domainRoutes(deps));
  app.route("/v1", credentialRoutes(deps));
  app.route("/v1", registrationRoutes(deps));
  app.route("/v1", callbackRoutes(deps));
  app.route("/v1", startCallRoutes(deps, startCall));
  app.route("/v1", callRoutes(deps));
  app.route("/v1", tokenRoutes(deps));
  app.route("/v1", deliveryRoutes(deps));
  app.route("/v1", trunkRoutes(deps));
  app.route("/v1", numberRoutes(deps));
  app.route("/v1", clusterRoutes(deps));

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "Account API key (hk_...) from POST /v1/accounts",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", {
    type: "http",
    scheme: "bearer",
    description: "Operator token (HOOKLINE_ADMIN_TOKEN or <dataDir>/operator-token)",
  });
  registerApplicationWebhooks(app.openAPIRegistry);
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Hookline API",
      version: "1.0.0",
      description:
        "Tenants' control plane: domains, SIP credentials, callbacks, calls, tokens. `webhooks` are " +
        "the requests Hookline sends to a domain's application (SPEC §5) and the actions it answers.",
    },
    security: [{ apiKey: [] }],
  });

  app.route("/", webRoutes(deps));
  app.route("/", softphoneRoutes(config.sipWsPort, deps));
  // The calls pages are the signed-in user's (web/session.ts): no session, the sign-in page.
  app.use("/calls", requireWebUser(deps));
  app.use("/calls/*", requireWebUser(deps));
  app.route("/", callPages(deps));
  return app;
}

export type ConsoleApp = ReturnType<typeof createConsoleApp>;
