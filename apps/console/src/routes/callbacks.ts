import { createRoute, z } from "@hono/zod-openapi";
import { compileFilter, enqueueDelivery, newWebhookSecret } from "@hookline/callbacks";
import { and, asc, eq, first, isNull } from "@hookline/db";
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
import { ApiError, notFound } from "../errors.js";
import { sampleEvent } from "./callback-sample.js";

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

const CheckFilterBody = z
  .strictObject({
    filter: z.string().openapi({ example: 'message.direction == "received"' }),
    type: z.string().max(64).optional().openapi({ description: "The sample event's type (default sip.BYE)" }),
  })
  .openapi("CheckFilter");
const checkFilter = createRoute({
  method: "post",
  path: "/callbacks/check-filter",
  operationId: "checkCallbackFilter",
  tags,
  summary: "Compile a CEL filter and evaluate it against a sample event (SPEC §4)",
  request: { body: jsonBody(CheckFilterBody) },
  responses: {
    200: jsonResponse(
      z.object({ match: z.boolean(), event: z.unknown() }).openapi("FilterCheck"),
      "Compiles; whether the sample event matches",
    ),
    ...errors,
  },
});
const TestBody = z
  .strictObject({ type: z.string().max(64).optional().openapi({ example: "sip.BYE" }) })
  .openapi("TestEvent");
const sendTest = createRoute({
  method: "post",
  path: "/callbacks/{id}/test",
  operationId: "sendCallbackTestEvent",
  tags,
  summary: "Deliver a signed sample event to this callback only, recorded as a delivery",
  request: {
    params: IdParams,
    body: { required: false, content: { "application/json": { schema: TestBody } } },
  },
  responses: {
    202: jsonResponse(
      z.object({ deliveryId: z.string(), eventType: z.string() }).openapi("TestDelivery"),
      "Queued; the engine sends it on its next outbox poll",
    ),
    ...errors,
  },
});

/** A name an event really carries, for a family (`call.*`) or a class (`sip.4xx`) (SPEC §4). */
const FAMILY_SAMPLE: Record<string, string> = {
  "sip.*": "sip.BYE",
  "call.*": "call.completed",
  "registration.*": "registration.created",
  "media.*": "media.started",
};
const concreteEvent = (name: string) =>
  FAMILY_SAMPLE[name] ?? (/^sip\.[1-6]xx$/.test(name) ? `${name.slice(0, 5)}00` : name);

export function callbackRoutes(deps: RouteDeps) {
  const { store, allowlist, now } = deps;
  const {
    db,
    t: { callbacks },
  } = store;
  const app = newRouter();

  const find = async (accountId: string, id: string) => {
    const row = first(
      await db
        .select()
        .from(callbacks)
        .where(and(eq(callbacks.id, id), eq(callbacks.accountId, accountId)))
        .limit(1),
    );
    if (!row) throw notFound("callback", id);
    return row;
  };
  const scoped = (accountId: string, id: string) =>
    and(eq(callbacks.id, id), eq(callbacks.accountId, accountId));

  // Before `/callbacks/{id}` routes, though the methods differ.
  app.openapi(checkFilter, (c) => {
    const { filter, type } = c.req.valid("json");
    const compiled = compileFilter(filter);
    if (!compiled.ok)
      throw new ApiError(400, "invalid_request", `filter: ${compiled.error.replace(/^filter /, "")}`);
    const event = sampleEvent(c.var.accountId, type, now());
    const r = compiled.filter.evaluate(event);
    // An evaluation error counts as no match at run time (filter.ts); say so here.
    if (!r.ok) throw new ApiError(400, "invalid_request", `filter: on the sample event: ${r.error}`);
    return c.json({ match: r.match, event }, 200);
  });

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const row = await createApiCallback(deps, { ...body, accountId: c.var.accountId, callId: null });
    return c.json(callbackWithSecretView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { call } = c.req.valid("query");
    const rows = await db
      .select()
      .from(callbacks)
      .where(
        and(
          eq(callbacks.accountId, c.var.accountId),
          call === undefined ? isNull(callbacks.callId) : eq(callbacks.callId, call),
        ),
      )
      .orderBy(asc(callbacks.createdAt), asc(callbacks.id));
    return c.json({ data: rows.map(callbackView) }, 200);
  });

  app.openapi(get, async (c) =>
    c.json(callbackWithSecretView(await find(c.var.accountId, c.req.valid("param").id)), 200),
  );

  app.openapi(update, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await find(c.var.accountId, id);
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
    await db.update(callbacks).set(patch).where(scoped(c.var.accountId, id));
    return c.json(callbackView(await find(c.var.accountId, id)), 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await find(c.var.accountId, id);
    await db.delete(callbacks).where(scoped(c.var.accountId, id));
    return c.body(null, 204);
  });

  app.openapi(rotate, async (c) => {
    const { id } = c.req.valid("param");
    const current = await find(c.var.accountId, id);
    const t = now();
    const secret = newWebhookSecret();
    const previousSecretExpiresAt = t + SECRET_ROTATION_GRACE_MS;
    await db
      .update(callbacks)
      .set({ secret, previousSecret: current.secret, previousSecretExpiresAt, updatedAt: t })
      .where(scoped(c.var.accountId, id));
    return c.json({ secret, previousSecretExpiresAt: iso(previousSecretExpiresAt) ?? "" }, 200);
  });

  app.openapi(sendTest, async (c) => {
    const { id } = c.req.valid("param");
    const cb = await find(c.var.accountId, id);
    const body: unknown = await c.req.json().catch(() => ({}));
    const parsed = TestBody.safeParse(body ?? {});
    const type = (parsed.success ? parsed.data.type : undefined) ?? concreteEvent(cb.events[0] ?? "sip.BYE");
    const event = sampleEvent(c.var.accountId, type, now());
    const d = await enqueueDelivery(store, { accountId: c.var.accountId, callbackId: cb.id, event }, now());
    return c.json({ deliveryId: d.id, eventType: d.eventType }, 202);
  });

  return app;
}
