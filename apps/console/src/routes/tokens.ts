import { createRoute, z } from "@hono/zod-openapi";
import { errors, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { badRequest } from "../errors.js";
import { signAccountToken } from "@hookline/auth-tokens";

/** A host, optionally with a port: what a callback URL in an INVITE may point at. */
const Host = z
  .string()
  .min(1)
  .max(260)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, "must be a host or host:port");

const CreateTokenBody = z
  .strictObject({
    ttl: z.number().int().min(1).openapi({ description: "Lifetime in seconds", example: 300 }),
    callbackHosts: z
      .array(Host)
      .max(32)
      .optional()
      .openapi({ description: "Hosts an X-Hookline-Callback URL may point at; omitted means any" }),
  })
  .openapi("CreateToken");

const TokenSchema = z.object({ token: z.string(), expiresAt: z.string() }).openapi("AccountToken");

const create = createRoute({
  method: "post",
  path: "/tokens",
  operationId: "createToken",
  tags: ["Tokens"],
  summary: "A short-lived signed token (JWT, HS256) for X-Hookline-Token",
  request: { body: jsonBody(CreateTokenBody) },
  responses: { 201: jsonResponse(TokenSchema, "Created"), ...errors },
});

export function tokenRoutes({ config, now }: RouteDeps) {
  const app = newRouter();
  const maxTtl = config.maxTokenTtlSeconds ?? 86_400;

  app.openapi(create, async (c) => {
    const { ttl, callbackHosts } = c.req.valid("json");
    if (ttl > maxTtl) throw badRequest(`ttl: must be at most ${maxTtl} seconds`);
    const signed = await signAccountToken(config.tokenSecret, {
      accountId: c.var.accountId,
      ttlSeconds: ttl,
      callbackHosts: callbackHosts?.map((h) => h.toLowerCase()) ?? [],
      now: new Date(now()),
    });
    return c.json({ token: signed.token, expiresAt: signed.expiresAt.toISOString() }, 201);
  });

  return app;
}
