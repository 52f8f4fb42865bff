/**
 * `POST /v1/calls` (SPEC §5): the platform starts a call. The gateway does the work; the console
 * validates the body and hands it over through the `startCall` port it was given (absent when the
 * console runs without a gateway in its process: 503).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ActionSchema, checkCallbackUrl } from "@hookline/callbacks";
import { errors, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { ApiError, badRequest } from "../errors.js";

export interface StartCallBody {
  /** A user or `sip:` URI, or a phone number through a trunk (SPEC §3 trunks). */
  to: string | { number: string; trunk?: string | undefined };
  from?: string | undefined;
  callerId?: string | undefined;
  timeout?: number | undefined;
  applicationUrl?: string | undefined;
  actions?: z.infer<typeof ActionSchema>[] | undefined;
}

type StartCallResult =
  | { ok: true; id: string; from: string; to: string }
  | { ok: false; status: 400 | 404 | 503; message: string };

export type StartCallPort = (
  accountId: string,
  body: StartCallBody,
) => StartCallResult | Promise<StartCallResult>;

const Party = z.string().trim().min(1).max(256);

/** As a `dial` target's `{number, trunk?}` (SPEC §5), but written as people write numbers. */
const NumberParty = z
  .strictObject({
    number: z
      .string()
      .trim()
      .regex(/^\+?[0-9#*][0-9#*\s().-]{2,31}$/, "must be a phone number such as +15551234567")
      .openapi({
        description: "Made E.164 under the trunk's number rules (country code, national and tech prefixes)",
        example: "+15551234567",
      }),
    trunk: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "The trunk's name; the account's default trunk when absent" }),
  })
  .openapi("NumberParty");

const StartCallSchema = z
  .strictObject({
    to: z.union([Party, NumberParty]).openapi({
      description:
        "A user (`bob`, or `sip:bob@acme.sip.example`), a `sip:` URI on a trunk's host, or a phone number rung through a trunk (`{number, trunk?}`)",
      example: { number: "+15551234567", trunk: "carrier-a" },
    }),
    from: Party.optional().openapi({
      description:
        "The From of the first party's INVITE; through a trunk, its number (or its user's number) is the caller id",
    }),
    callerId: Party.optional().openapi({
      description: "Shown to the first party instead of `from` (through a trunk: an E.164 number)",
    }),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(600)
      .optional()
      .openapi({ description: "Seconds the first party may ring (30)" }),
    applicationUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    actions: z.array(ActionSchema).min(1).max(50).optional(),
  })
  .refine((b) => (b.actions === undefined) !== (b.applicationUrl === undefined), {
    message: "give either actions or applicationUrl",
    path: ["actions"],
  })
  .openapi("StartCall");

const StartedSchema = z
  .object({ id: z.string(), state: z.literal("initiated"), from: z.string(), to: z.string() })
  .openapi("StartedCall");

const start = createRoute({
  method: "post",
  path: "/calls",
  operationId: "startCall",
  tags: ["Calls"],
  summary: "Start a call: ring `to`, then run `actions` or ask `applicationUrl` (call.outbound-answered)",
  request: { body: jsonBody(StartCallSchema) },
  responses: {
    201: jsonResponse(StartedSchema, "The call is ringing its first party"),
    ...errors,
    503: jsonResponse(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), "No gateway"),
  },
});

export function startCallRoutes({ allowlist }: RouteDeps, startCall: StartCallPort | undefined) {
  const app = newRouter();
  app.openapi(start, async (c) => {
    const body = c.req.valid("json");
    if (body.applicationUrl) {
      const r = checkCallbackUrl(body.applicationUrl, { allowlist });
      if (!r.ok) throw badRequest(`applicationUrl: ${r.reason}`);
    }
    if (!startCall)
      throw new ApiError(503, "unavailable", "calls can only be started where the gateway runs");
    const r = await startCall(c.var.accountId, body);
    if (!r.ok)
      throw new ApiError(
        r.status,
        r.status === 404 ? "not_found" : r.status === 503 ? "unavailable" : "invalid_request",
        r.message,
      );
    return c.json({ id: r.id, state: "initiated" as const, from: r.from, to: r.to }, 201);
  });
  return app;
}
