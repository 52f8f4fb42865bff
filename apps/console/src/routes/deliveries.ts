// The delivery log (SPEC §3): list, one delivery with every attempt, replay (same webhook-id).
// Mounted under /v1 with account-key auth already applied (c.var.accountId is set).
import { createRoute, z } from "@hono/zod-openapi";
import {
  DELIVERY_STATUSES,
  getDelivery,
  listDeliveries,
  replayDeadLetters,
  replayDelivery,
} from "@hookline/callbacks";
import type { DeliveryAttemptRow, DeliveryRow } from "@hookline/callbacks";
import { errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { ApiError, notFound } from "../errors.js";

const Status = z.enum(DELIVERY_STATUSES as ["pending", "succeeded", "failed"]);

const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: "Also the webhook-id header, the same on every retry" }),
    callbackId: z.string(),
    eventId: z.string(),
    eventType: z.string().openapi({ example: "sip.BYE" }),
    callId: z.string().nullable(),
    seq: z.number().int().nullable(),
    status: Status,
    attemptCount: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi("Delivery");

const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    time: z.string(),
    statusCode: z.number().int().nullable(),
    latencyMs: z.number().int(),
    responseExcerpt: z.string().nullable().openapi({ description: "First KiB of the response body" }),
    error: z.string().nullable(),
  })
  .openapi("DeliveryAttempt");

const DeliveryDetailSchema = DeliverySchema.extend({
  event: z.object({ id: z.string(), type: z.string(), body: z.unknown() }),
  attempts: z.array(AttemptSchema),
}).openapi("DeliveryDetail");

const ListQuery = z.object({
  callback: z.string().max(64).optional().openapi({ description: "Only this callback's deliveries" }),
  status: Status.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso
    .datetime()
    .optional()
    .openapi({ description: "Only deliveries created before this time (paging)" }),
});

const tags = ["Deliveries"];
const list = createRoute({
  method: "get",
  path: "/deliveries",
  operationId: "listDeliveries",
  tags,
  summary: "Deliveries, newest first",
  request: { query: ListQuery },
  responses: { 200: jsonResponse(z.object({ data: z.array(DeliverySchema) }), "Deliveries"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/deliveries/{id}",
  operationId: "getDelivery",
  tags,
  summary: "A delivery with its event and every attempt",
  request: { params: IdParams },
  responses: { 200: jsonResponse(DeliveryDetailSchema, "The delivery"), ...errors },
});
const replay = createRoute({
  method: "post",
  path: "/deliveries/{id}/replay",
  operationId: "replayDelivery",
  tags,
  summary: "Send a finished delivery again (same webhook-id)",
  request: { params: IdParams },
  responses: {
    202: jsonResponse(DeliverySchema, "Pending again; the engine picks it up within its poll interval"),
    ...errors,
    409: jsonResponse(
      z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
      "Still pending",
    ),
  },
});

const ReplayAllBody = z
  .strictObject({
    callback: z.string().max(64).optional().openapi({ description: "Only this callback's dead letters" }),
  })
  .openapi("ReplayDeadLetters");
const replayAll = createRoute({
  method: "post",
  path: "/deliveries/replay",
  operationId: "replayDeadLetters",
  tags,
  summary: "Send every dead letter (status failed) again, of the account or of one callback",
  request: { body: jsonBody(ReplayAllBody) },
  responses: {
    202: jsonResponse(z.object({ replayed: z.number().int() }).openapi("ReplayedCount"), "Pending again"),
    ...errors,
  },
});

const deliveryView = (d: DeliveryRow) => ({
  id: d.id,
  callbackId: d.callbackId,
  eventId: d.eventId,
  eventType: d.eventType,
  callId: d.callId,
  seq: d.seq,
  status: d.status,
  attemptCount: d.attemptCount,
  nextAttemptAt: iso(d.nextAttemptAt),
  lastAttemptAt: iso(d.lastAttemptAt),
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  createdAt: iso(d.createdAt) ?? "",
  completedAt: iso(d.completedAt),
});

const attemptView = (a: DeliveryAttemptRow) => ({
  attempt: a.attempt,
  time: iso(a.startedAt) ?? "",
  statusCode: a.statusCode,
  latencyMs: a.latencyMs,
  responseExcerpt: a.responseExcerpt,
  error: a.error,
});

export function deliveryRoutes(deps: RouteDeps) {
  const { store } = deps;
  const app = newRouter();

  app.openapi(list, async (c) => {
    const { callback, status, limit, before } = c.req.valid("query");
    const rows = await listDeliveries(store, {
      accountId: c.var.accountId,
      limit,
      ...(callback !== undefined ? { callbackId: callback } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(before !== undefined ? { before: Date.parse(before) } : {}),
    });
    return c.json({ data: rows.map(deliveryView) }, 200);
  });

  app.openapi(get, async (c) => {
    const id = c.req.valid("param").id;
    const d = await getDelivery(store, c.var.accountId, id);
    if (!d) throw notFound("delivery", id);
    return c.json({ ...deliveryView(d), event: d.event, attempts: d.attempts.map(attemptView) }, 200);
  });

  app.openapi(replayAll, async (c) => {
    const { callback } = c.req.valid("json");
    return c.json({ replayed: await replayDeadLetters(store, c.var.accountId, callback) }, 202);
  });

  app.openapi(replay, async (c) => {
    const id = c.req.valid("param").id;
    const r = await replayDelivery(store, c.var.accountId, id);
    if (!r.ok) {
      if (r.code === "not_found") throw notFound("delivery", id);
      throw new ApiError(409, "conflict", `delivery ${id} is still pending; replay it once it has finished`);
    }
    return c.json(deliveryView(r.delivery), 202);
  });

  return app;
}
