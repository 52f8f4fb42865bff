import { createRoute, z } from "@hono/zod-openapi";
import { newWebhookSecret } from "@hookline/callbacks";
import { and, asc, callbacks, eq, isNull } from "@hookline/db";
import type { Callback } from "@hookline/db";
import {
  CallbackSchema,
  CallbackUrl,
  CallbackWithSecretSchema,
  Description,
  EventNames,
  Filter,
  callbackView,
  callbackWithSecretView,
  checkCallbackInput,
  createApiCallback,
} from "../callback-input.js";
import { errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { notFound } from "../errors.js";

/** How long the old secret keeps signing after a rotation, so receivers can switch over. */
export const SECRET_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

const CreateCallbackBody = z
  .strictObject({
    url: CallbackUrl,
    events: EventNames,
    filter: Filter.optional(),
    description: Description.optional(),
  })
  .openapi("CreateCallback");

const UpdateCallbackBody = z
  .strictObject({
    url: CallbackUrl.optional(),
    events: EventNames.optional(),
    filter: Filter.nullable().optional(),
    description: Description.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .openapi("UpdateCallback");

const ListQuery = z.object({
  call: z.string().optional().openapi({ description: "Only the callbacks of this call" }),
});

const tags = ["Callbacks"];
const create = createRoute({
  method: "post",
  path: "/callbacks",
  operationId: "createCallback",
  tags,
  summary: "Register an account-wide callback",
  request: { body: jsonBody(CreateCallbackBody) },
  responses: { 201: jsonResponse(CallbackWithSecretSchema, "Created; keep the secret"), ...errors },
});
const list = createRoute({
  method: "get",
  path: "/callbacks",
  operationId: "listCallbacks",
  tags,
  summary: "List callbacks (account-wide, or one call's with ?call=)",
  request: { query: ListQuery },
  responses: { 200: jsonResponse(z.object({ data: z.array(CallbackSchema) }), "Callbacks"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/callbacks/{id}",
  operationId: "getCallback",
  tags,
  summary: "Get a callback with its signing secret",
  request: { params: IdParams },
  responses: { 200: jsonResponse(CallbackWithSecretSchema, "The callback"), ...errors },
});
const update = createRoute({
  method: "patch",
  path: "/callbacks/{id}",
  operationId: "updateCallback",
  tags,
  summary: "Change url, events, filter (null clears), description or enabled",
  request: { params: IdParams, body: jsonBody(UpdateCallbackBody) },
  responses: { 200: jsonResponse(CallbackSchema, "Updated"), ...errors },
});
const remove = createRoute({
  method: "delete",
  path: "/callbacks/{id}",
  operationId: "deleteCallback",
  tags,
  summary: "Delete a callback",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...errors },
});
const rotate = createRoute({
  method: "post",
  path: "/callbacks/{id}/rotate-secret",
  operationId: "rotateCallbackSecret",
  tags,
  summary: "New signing secret; the old one keeps signing for 24 hours",
  request: { params: IdParams },
  responses: {
    200: jsonResponse(
      z.object({ secret: z.string(), previousSecretExpiresAt: z.string() }).openapi("RotatedSecret"),
      "Rotated",
    ),
    ...errors,
  },
});

export function callbackRoutes(deps: RouteDeps) {
  const { db, allowlist, now } = deps;
  const app = newRouter();

  const find = (accountId: string, id: string) => {
    const row = db
      .select()
      .from(callbacks)
      .where(and(eq(callbacks.id, id), eq(callbacks.accountId, accountId)))
      .get();
    if (!row) throw notFound("callback", id);
    return row;
  };
  const scoped = (accountId: string, id: string) =>
    and(eq(callbacks.id, id), eq(callbacks.accountId, accountId));

  app.openapi(create, (c) => {
    const body = c.req.valid("json");
    const row = createApiCallback(deps, { ...body, accountId: c.var.accountId, callId: null });
    return c.json(callbackWithSecretView(row), 201);
  });

  app.openapi(list, (c) => {
    const { call } = c.req.valid("query");
    const rows = db
      .select()
      .from(callbacks)
      .where(
        and(
          eq(callbacks.accountId, c.var.accountId),
          call === undefined ? isNull(callbacks.callId) : eq(callbacks.callId, call),
        ),
      )
      .orderBy(asc(callbacks.createdAt), asc(callbacks.id))
      .all();
    return c.json({ data: rows.map(callbackView) }, 200);
  });

  app.openapi(get, (c) =>
    c.json(callbackWithSecretView(find(c.var.accountId, c.req.valid("param").id)), 200),
  );

  app.openapi(update, (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    find(c.var.accountId, id);
    const url = checkCallbackInput(body, allowlist);
    const patch: Partial<Callback> = { updatedAt: now() };
    if (url !== undefined) patch.url = url;
    if (body.events !== undefined) patch.events = body.events;
    if (body.filter !== undefined) patch.filter = body.filter;
    if (body.description !== undefined) patch.description = body.description;
    if (body.enabled !== undefined) {
      patch.enabled = body.enabled;
      // Re-enabling clears why the engine (or the user) disabled it.
      patch.disabledReason = body.enabled ? null : "disabled by user";
    }
    db.update(callbacks).set(patch).where(scoped(c.var.accountId, id)).run();
    return c.json(callbackView(find(c.var.accountId, id)), 200);
  });

  app.openapi(remove, (c) => {
    const { id } = c.req.valid("param");
    find(c.var.accountId, id);
    db.delete(callbacks).where(scoped(c.var.accountId, id)).run();
    return c.body(null, 204);
  });

  app.openapi(rotate, (c) => {
    const { id } = c.req.valid("param");
    const current = find(c.var.accountId, id);
    const t = now();
    const secret = newWebhookSecret();
    const previousSecretExpiresAt = t + SECRET_ROTATION_GRACE_MS;
    db.update(callbacks)
      .set({ secret, previousSecret: current.secret, previousSecretExpiresAt, updatedAt: t })
      .where(scoped(c.var.accountId, id))
      .run();
    return c.json({ secret, previousSecretExpiresAt: iso(previousSecretExpiresAt) ?? "" }, 200);
  });

  return app;
}
