import type { MiddlewareHandler } from "hono";
import { eq, first } from "@hookline/db";
import type { Store } from "@hookline/db";
import type { AppEnv } from "./context.js";
import { ApiError } from "./errors.js";
import { hashApiKey, safeEqual } from "./secrets.js";

const bearer = (header: string | undefined): string | null => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
};

const isOperatorPath = (path: string) =>
  path === "/v1/accounts" || path.startsWith("/v1/accounts/") || path === "/v1/cluster";

/**
 * One gate for `/v1/*`: `/v1/accounts` and `/v1/cluster` take the operator token, everything else an account API
 * key (which then scopes every query through `c.var.accountId`). The OpenAPI document is public.
 */
export function authenticate(
  { db, t: { apiKeys } }: Store,
  operatorToken: string,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.path === "/v1/openapi.json") return next();
    const token = bearer(c.req.header("authorization"));
    if (token === null) {
      throw new ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)");
    }
    if (isOperatorPath(c.req.path)) {
      if (!safeEqual(token, operatorToken)) throw new ApiError(401, "unauthorized", "invalid operator token");
      return next();
    }
    // Looked up by SHA-256, so the comparison happens on an index, not on the secret itself.
    const key = first(
      await db
        .select({ accountId: apiKeys.accountId, revokedAt: apiKeys.revokedAt })
        .from(apiKeys)
        .where(eq(apiKeys.keyHash, hashApiKey(token)))
        .limit(1),
    );
    if (!key || key.revokedAt !== null) throw new ApiError(401, "unauthorized", "invalid API key");
    c.set("accountId", key.accountId);
    return next();
  };
}
