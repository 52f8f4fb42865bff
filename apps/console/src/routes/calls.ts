import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, callHooks, callLegs, callMessages, calls, desc, eq, lt } from "@hookline/db";
import type { Call, CallHook, CallLeg, CallMessage, SQL } from "@hookline/db";
import {
  CallbackUrl,
  CallbackWithSecretSchema,
  Description,
  EventNames,
  Filter,
  callbackWithSecretView,
  createApiCallback,
} from "../callback-input.js";
import { conflictResponse, errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { ApiError, notFound } from "../errors.js";

const CALL_STATES = ["initiated", "ringing", "answered", "completed", "failed"] as const;

const CallSchema = z
  .object({
    id: z.string().openapi({ example: "call_0123456789abcdefghjk" }),
    sipCallId: z.string(),
    domainId: z.string().nullable(),
    from: z.string(),
    to: z.string(),
    origin: z.enum(["inbound", "api"]),
    state: z.enum(CALL_STATES),
    endStatus: z.number().int().nullable(),
    endReason: z.string().nullable(),
    startedAt: z.string(),
    ringingAt: z.string().nullable(),
    answeredAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationSec: z.number().int().nullable(),
    reason: z.string().nullable(),
  })
  .openapi("Call");

const LegSchema = z
  .object({
    id: z.string(),
    direction: z.enum(["inbound", "outbound"]),
    sipCallId: z.string(),
    remoteUri: z.string(),
    transport: z.string(),
    source: z.string().nullable(),
    state: z.string(),
    createdAt: z.string(),
    answeredAt: z.string().nullable(),
    endedAt: z.string().nullable(),
  })
  .openapi("CallLeg");

const MessageSchema = z
  .object({
    seq: z.number().int(),
    legId: z.string().nullable(),
    direction: z.enum(["received", "sent"]),
    method: z.string().nullable(),
    status: z.number().int().nullable(),
    reason: z.string().nullable(),
    requestUri: z.string().nullable(),
    cseq: z.string().nullable(),
    time: z.string(),
    headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    bodySize: z.number().int(),
  })
  .openapi("CallMessage");

const HookSchema = z
  .object({
    seq: z.number().int(),
    kind: z.enum(["application", "fallback", "redirect", "action"]),
    eventType: z.string(),
    url: z.string(),
    time: z.string(),
    status: z.number().int().nullable(),
    latencyMs: z.number().int(),
    actions: z.array(z.unknown()).nullable(),
    error: z.string().nullable(),
  })
  .openapi("CallHookRequest");

const CallDetailSchema = CallSchema.extend({
  legs: z.array(LegSchema),
  messages: z.array(MessageSchema),
  hooks: z.array(HookSchema),
  timeline: z
    .array(
      z.union([
        MessageSchema.extend({ type: z.literal("sip") }),
        HookSchema.extend({ type: z.literal("hook") }),
      ]),
    )
    .openapi({ description: "SIP messages and application-hook requests in `seq` order" }),
}).openapi("CallDetail");

const ListQuery = z.object({
  state: z.enum(CALL_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso
    .datetime()
    .optional()
    .openapi({ description: "Only calls started before this time (paging)" }),
});

const CallCallbackBody = z
  .strictObject({
    url: CallbackUrl,
    events: EventNames,
    filter: Filter.optional(),
    description: Description.optional(),
  })
  .openapi("CreateCallCallback");

const tags = ["Calls"];
const list = createRoute({
  method: "get",
  path: "/calls",
  operationId: "listCalls",
  tags,
  summary: "Recent calls, newest first",
  request: { query: ListQuery },
  responses: { 200: jsonResponse(z.object({ data: z.array(CallSchema) }), "Calls"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/calls/{id}",
  operationId: "getCall",
  tags,
  summary: "A call with its legs and its timeline: SIP messages and application-hook requests",
  request: { params: IdParams },
  responses: { 200: jsonResponse(CallDetailSchema, "The call"), ...errors },
});
const addCallback = createRoute({
  method: "post",
  path: "/calls/{id}/callbacks",
  operationId: "createCallCallback",
  tags,
  summary: "Register a callback for this call only",
  request: { params: IdParams, body: jsonBody(CallCallbackBody) },
  responses: {
    201: jsonResponse(CallbackWithSecretSchema, "Created"),
    ...errors,
    ...conflictResponse,
  },
});

const callView = (call: Call) => ({
  id: call.id,
  sipCallId: call.sipCallId,
  domainId: call.domainId,
  from: call.from,
  to: call.to,
  origin: call.origin,
  state: call.state,
  endStatus: call.endStatus,
  endReason: call.endReason,
  startedAt: iso(call.startedAt) ?? "",
  ringingAt: iso(call.ringingAt),
  answeredAt: iso(call.answeredAt),
  endedAt: iso(call.endedAt),
  durationSec:
    call.answeredAt !== null && call.endedAt !== null
      ? Math.round((call.endedAt - call.answeredAt) / 1000)
      : null,
  reason: call.endReason,
});

const hookView = (h: CallHook) => ({
  seq: h.seq,
  kind: h.kind,
  eventType: h.eventType,
  url: h.url,
  time: iso(h.at) ?? "",
  status: h.status,
  latencyMs: h.latencyMs,
  actions: h.actions,
  error: h.error,
});

const legView = (leg: CallLeg) => ({
  id: leg.id,
  direction: leg.direction,
  sipCallId: leg.sipCallId,
  remoteUri: leg.remoteUri,
  transport: leg.transport,
  source: leg.source,
  state: leg.state,
  createdAt: iso(leg.createdAt) ?? "",
  answeredAt: iso(leg.answeredAt),
  endedAt: iso(leg.endedAt),
});

const messageView = (m: CallMessage) => ({
  seq: m.seq,
  legId: m.legId,
  direction: m.direction,
  method: m.method,
  status: m.status,
  reason: m.reason,
  requestUri: m.requestUri,
  cseq: m.cseq,
  time: iso(m.at) ?? "",
  headers: m.headers,
  bodySize: m.bodySize,
});

export function callRoutes(deps: RouteDeps) {
  const { db, flushCallRecords } = deps;
  const app = newRouter();
  // Every route here reads calls: write the gateway's queued rows first.
  for (const path of ["/calls", "/calls/*"]) {
    app.use(path, async (_c, next) => {
      flushCallRecords();
      await next();
    });
  }

  const find = (accountId: string, id: string) => {
    const row = db
      .select()
      .from(calls)
      .where(and(eq(calls.id, id), eq(calls.accountId, accountId)))
      .get();
    if (!row) throw notFound("call", id);
    return row;
  };

  app.openapi(list, (c) => {
    const { state, limit, before } = c.req.valid("query");
    const conditions: SQL[] = [eq(calls.accountId, c.var.accountId)];
    if (state !== undefined) conditions.push(eq(calls.state, state));
    if (before !== undefined) conditions.push(lt(calls.startedAt, Date.parse(before)));
    const rows = db
      .select()
      .from(calls)
      .where(and(...conditions))
      .orderBy(desc(calls.startedAt), desc(calls.id))
      .limit(limit)
      .all();
    return c.json({ data: rows.map(callView) }, 200);
  });

  app.openapi(get, (c) => {
    const call = find(c.var.accountId, c.req.valid("param").id);
    const legs = db
      .select()
      .from(callLegs)
      .where(eq(callLegs.callId, call.id))
      .orderBy(asc(callLegs.createdAt))
      .all();
    const messages = db
      .select()
      .from(callMessages)
      .where(eq(callMessages.callId, call.id))
      .orderBy(asc(callMessages.seq))
      .all();
    const hooks = db
      .select()
      .from(callHooks)
      .where(eq(callHooks.callId, call.id))
      .orderBy(asc(callHooks.seq))
      .all();
    const timeline = [
      ...messages.map((m) => ({ type: "sip" as const, ...messageView(m) })),
      ...hooks.map((h) => ({ type: "hook" as const, ...hookView(h) })),
    ].sort((x, y) => x.seq - y.seq);
    return c.json(
      {
        ...callView(call),
        legs: legs.map(legView),
        messages: messages.map(messageView),
        hooks: hooks.map(hookView),
        timeline,
      },
      200,
    );
  });

  app.openapi(addCallback, (c) => {
    const call = find(c.var.accountId, c.req.valid("param").id);
    const body = c.req.valid("json");
    if (call.state === "completed" || call.state === "failed") {
      throw new ApiError(409, "conflict", `call ${call.id} has ended (${call.state})`);
    }
    const row = createApiCallback(deps, { ...body, accountId: c.var.accountId, callId: call.id });
    return c.json(callbackWithSecretView(row), 201);
  });

  return app;
}
