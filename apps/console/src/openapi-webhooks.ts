/**
 * The application hook (SPEC §5) as OpenAPI 3.1 `webhooks`: the requests Hookline sends to a
 * domain's `applicationUrl` and the answer it expects. The schemas are the zod schemas the gateway
 * validates with (`@hookline/callbacks`), so the document cannot drift from what runs. Callback
 * deliveries (SPEC §4) that are not about a call, `trunk.up` and `trunk.down`, are described too.
 */
import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  ApplicationAnswerSchema,
  CallIncomingSchema,
  DialCompletedSchema,
  TrunkEventSchema,
} from "@hookline/callbacks";

/** Standard Webhooks headers, the same as on every callback (SPEC §4), keyed by the domain's secret. */
const SignatureHeaders = z.object({
  "webhook-id": z.string().openapi({ description: "Unique per request", example: "msg_2b7c…" }),
  "webhook-timestamp": z.string().openapi({ description: "Unix seconds", example: "1767225600" }),
  "webhook-signature": z.string().openapi({
    description:
      'v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">, keyed by the base64 ' +
      "after whsec_ in the domain's secret (shown by PATCH /v1/domains/{id} and rotate-secret)",
    example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
  }),
});

const answerDescription =
  "200 with `{actions: [...]}`, run in order. Any other status, no answer within the domain's " +
  "`applicationTimeoutMs`, a body that is not JSON, an unknown action or a bad field: Hookline asks " +
  "`fallbackUrl` the same way, then takes the default route (ring the called user). Every request " +
  "and its outcome is on the call's timeline (GET /v1/calls/{id}, `hooks`).";

/**
 * zod 4 gives each schema its methods when it is built, so a schema of `@hookline/callbacks` built
 * before `@hono/zod-openapi` extended zod has no `.openapi()`, which `register` calls. `describe`
 * builds a copy now, with the method, and the description the document shows.
 */
const described = <T extends z.ZodType>(schema: T, description: string): T => schema.describe(description);

/** Registers the application hook's requests and answer on the console's OpenAPI registry. */
export function registerApplicationWebhooks(registry: OpenAPIHono["openAPIRegistry"]): void {
  const Answer = registry.register(
    "ApplicationAnswer",
    described(ApplicationAnswerSchema, "The application's answer: actions Hookline runs in order"),
  );
  const incoming = registry.register(
    "CallIncoming",
    CallIncomingSchema.extend({ type: z.literal("call.incoming") }).describe(
      "A call to steer; `headers` are the INVITE's X- headers, lower-case",
    ),
  );
  const outboundAnswered = registry.register(
    "CallOutboundAnswered",
    CallIncomingSchema.extend({ type: z.literal("call.outbound-answered") }).describe(
      "The first party of a call started with POST /v1/calls answered",
    ),
  );
  const dialCompleted = registry.register(
    "DialCompleted",
    described(DialCompletedSchema, "How a dial with an actionUrl ended, with the call it belongs to"),
  );

  const webhook = (path: string, operationId: string, summary: string, body: z.ZodType) =>
    registry.registerWebhook({
      method: "post",
      path,
      operationId,
      tags: ["Application hook"],
      summary,
      security: [],
      request: {
        headers: SignatureHeaders,
        body: { required: true, content: { "application/json": { schema: body } } },
      },
      responses: {
        200: { description: answerDescription, content: { "application/json": { schema: Answer } } },
      },
    });

  webhook(
    "call.incoming",
    "callIncoming",
    "A new call on a domain with an applicationUrl, held with 100 Trying until the answer (or a redirect's URL)",
    incoming,
  );
  webhook(
    "call.dial-completed",
    "dialCompleted",
    "A dial with an actionUrl ended: its outcome, POSTed to that actionUrl; the answer continues the call",
    dialCompleted,
  );
  webhook(
    "call.outbound-answered",
    "outboundAnswered",
    "The first party of a POST /v1/calls call with an applicationUrl answered",
    outboundAnswered,
  );

  registerTrunkWebhooks(registry);
}

/** `trunk.up` and `trunk.down` (SPEC §4), delivered to callbacks subscribed to them or to `trunk.*`. */
function registerTrunkWebhooks(registry: OpenAPIHono["openAPIRegistry"]): void {
  const trunkEvent = (type: "trunk.up" | "trunk.down", description: string) =>
    registry.register(
      type === "trunk.up" ? "TrunkUp" : "TrunkDown",
      TrunkEventSchema.extend({ type: z.literal(type) }).describe(description),
    );
  const webhook = (type: "trunk.up" | "trunk.down", operationId: string, summary: string, body: z.ZodType) =>
    registry.registerWebhook({
      method: "post",
      path: type,
      operationId,
      tags: ["Callbacks"],
      summary,
      security: [],
      request: {
        headers: SignatureHeaders.extend({
          "webhook-signature": SignatureHeaders.shape["webhook-signature"].describe(
            'v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">, keyed by the ' +
              "base64 after whsec_ in the callback's secret (shown by POST /v1/callbacks)",
          ),
        }),
        body: { required: true, content: { "application/json": { schema: body } } },
      },
      responses: {
        200: {
          description:
            "Any 2xx acknowledges the delivery; anything else, or no answer, is retried with the same " +
            "webhook-id (SPEC §4: at least once)",
        },
      },
    });
  webhook(
    "trunk.up",
    "trunkUp",
    "An outbound target of a trunk that was down answers OPTIONS pings again; calls use it again",
    trunkEvent("trunk.up", "A trunk's outbound target is up again"),
  );
  webhook(
    "trunk.down",
    "trunkDown",
    "An outbound target of a trunk stopped answering OPTIONS pings (or answers 503); calls skip it",
    trunkEvent("trunk.down", "A trunk's outbound target is down"),
  );
}
