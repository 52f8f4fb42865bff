/**
 * The pages change things through the REST API's own routes, called in process: the same
 * validation, SSRF checks, conflicts and messages as `/v1` (SPEC §3), never a second copy. The
 * account comes from the signed-in session, passed as this internal app's environment; nothing
 * here is reachable over HTTP.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { RouteDeps } from "../context.js";
import { errorResponse } from "../errors.js";
import { callbackRoutes } from "../routes/callbacks.js";
import { credentialRoutes } from "../routes/credentials.js";
import { deliveryRoutes } from "../routes/deliveries.js";
import { domainRoutes } from "../routes/domains.js";
import { trunkRoutes } from "../routes/trunks.js";

type InternalEnv = { Bindings: { accountId: string }; Variables: { accountId: string } };

/** A route's answer: its body as the route's OpenAPI schema describes it (`T`), or the field errors. */
export type ApiResult<T> =
  { ok: true; status: number; body: T } | { ok: false; status: number; errors: FieldErrors };

/** Field name → message; `_` holds what names no field. */
export type FieldErrors = Record<string, string>;

/**
 * `name: must be a DNS name; url: Invalid URL` (errors.ts `formatZodError`) → one message per
 * field, keyed by the path's first part (`events.0` → `events`).
 */
export function fieldErrors(message: string): FieldErrors {
  const out: FieldErrors = {};
  for (const part of message.split("; ")) {
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\.[^:]*)?: (.*)$/s.exec(part);
    const key = m?.[1] ?? "_";
    const text = m?.[2] ?? part;
    out[key] = out[key] ? `${out[key]}; ${text}` : text;
  }
  return out;
}

export type AccountApi = <T = unknown>(
  accountId: string,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
) => Promise<ApiResult<T>>;

export function accountApi(deps: RouteDeps): AccountApi {
  const api = new OpenAPIHono<InternalEnv>();
  api.onError(errorResponse);
  api.use("*", async (c, next) => {
    c.set("accountId", c.env.accountId);
    await next();
  });
  api.route("/v1", domainRoutes(deps));
  api.route("/v1", credentialRoutes(deps));
  api.route("/v1", callbackRoutes(deps));
  api.route("/v1", deliveryRoutes(deps));
  api.route("/v1", trunkRoutes(deps));

  return async <T>(
    accountId: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResult<T>> => {
    const res = await api.request(
      path,
      {
        method,
        ...(body !== undefined && {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      },
      { accountId },
    );
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (res.ok) return { ok: true, status: res.status, body: json as T };
    const message = (json as { error?: { message?: string } } | null)?.error?.message;
    return { ok: false, status: res.status, errors: fieldErrors(message ?? res.statusText) };
  };
}
