import { createRoute, z } from "@hono/zod-openapi";
import {
  CallbackUrl,
  CallbackWithSecretSchema,
  Description,
  EventNames,
  Filter,
  callbackWithSecretView,
  createApiCallback,
} from "../callback-input.js";
import { conflictResponse, errors, IdParams, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { ApiError, notFound } from "../errors.js";
import {
  CALL_STATES,
  callRecords,
  callView,
  findCall,
  hookView,
  legView,
  listCalls,
  messageView,
} from "./call-queries.js";

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
    body: z.string().nullable().openapi({
      description: "The body as text (SDP), its first 16 KiB; cut when `bodySize` is larger",
    }),
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

export function callRoutes(deps: RouteDeps) {
  const { store, flushCallRecords } = deps;
  const app = newRouter();
  // Every route here reads calls: write the gateway's queued rows first.
  for (const path of ["/calls", "/calls/*"]) {
    app.use(path, async (_c, next) => {
      await flushCallRecords();
      await next();
    });
  }

  const find = async (accountId: string, id: string) => {
    const row = await findCall(store, accountId, id);
    if (!row) throw notFound("call", id);
    return row;
  };

  app.openapi(list, async (c) => {
    const { state, limit, before } = c.req.valid("query");
    const rows = await listCalls(store, {
      accountId: c.var.accountId,
      state,
      until: before === undefined ? undefined : Date.parse(before),
      limit,
    });
    return c.json({ data: rows.map(callView) }, 200);
  });

  app.openapi(get, async (c) => {
    const call = await find(c.var.accountId, c.req.valid("param").id);
    const { legs, messages, hooks } = await callRecords(store, call.id);
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

  app.openapi(addCallback, async (c) => {
    const call = await find(c.var.accountId, c.req.valid("param").id);
    const body = c.req.valid("json");
    if (call.state === "completed" || call.state === "failed") {
      throw new ApiError(409, "conflict", `call ${call.id} has ended (${call.state})`);
    }
    const row = await createApiCallback(deps, { ...body, accountId: c.var.accountId, callId: call.id });
    return c.json(callbackWithSecretView(row), 201);
  });

  return app;
}
