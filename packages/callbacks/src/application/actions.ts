/**
 * The application hook's wire format (SPEC §5): what Hookline POSTs (`call.incoming`,
 * `call.dial-completed`, `call.outbound-answered`) and the `{"actions": [...]}` an application
 * answers. One schema serves the gateway (it validates every answer, naming the bad field) and
 * the console (the OpenAPI document's `webhooks`).
 */
import { z } from "zod";

const Target = z.string().trim().min(1).max(256);
/** A phone number through a trunk (SPEC §3 trunks): the named one, else the account's default. */
const NumberTarget = z.strictObject({
  number: z
    .string()
    .trim()
    .regex(/^\+[1-9]\d{1,14}$/, "must be an E.164 number such as +15551234567"),
  trunk: z.string().trim().min(1).max(64).optional(),
});
const DialTarget = z.union([Target, NumberTarget]);
const Url = z.url({ protocol: /^https?$/ }).max(2048);

export const DialActionSchema = z.strictObject({
  action: z.literal("dial"),
  /** A user name, a `sip:` URI, a `{number, trunk?}`, or a list of them. */
  to: z.union([DialTarget, z.array(DialTarget).min(1).max(10)]),
  strategy: z.enum(["simultaneous", "sequential"]).optional(),
  /** Seconds each target (sequential) or all of them (simultaneous) may ring. Default 30. */
  timeout: z.number().int().min(1).max(600).optional(),
  /** The From URI (or user name) the callee sees. */
  callerId: Target.optional(),
  /** Extra headers for the callee; `X-` headers only. */
  headers: z.record(z.string().regex(/^x-[a-z0-9-]+$/i, "only X- headers"), z.string().max(1024)).optional(),
  /** The dial's outcome is POSTed here (`call.dial-completed`); its answer's actions continue the call. */
  actionUrl: Url.optional(),
});

export const RejectActionSchema = z.strictObject({
  action: z.literal("reject"),
  status: z.number().int().min(400).max(699).optional(),
  reason: z.string().max(128).optional(),
});

export const HangupActionSchema = z.strictObject({ action: z.literal("hangup") });

export const RedirectActionSchema = z.strictObject({ action: z.literal("redirect"), url: Url });

export const PauseActionSchema = z.strictObject({
  action: z.literal("pause"),
  seconds: z.number().min(0).max(30),
});

export const ActionSchema = z.discriminatedUnion("action", [
  DialActionSchema,
  RejectActionSchema,
  HangupActionSchema,
  RedirectActionSchema,
  PauseActionSchema,
]);

export const ApplicationAnswerSchema = z.object({ actions: z.array(ActionSchema).max(50) });

export type Action = z.infer<typeof ActionSchema>;
export type DialAction = z.infer<typeof DialActionSchema>;
export type DialTarget = z.infer<typeof DialTarget>;

/** The body of every application-hook request (signed like a callback). */
export const CallIncomingSchema = z.object({
  type: z.enum(["call.incoming", "call.outbound-answered"]),
  timestamp: z.string(),
  data: z.object({
    accountId: z.string(),
    callId: z.string(),
    domain: z.string(),
    from: z.string(),
    to: z.string(),
    requestUri: z.string(),
    /** `trunk`: the trunk a carrier's call came through (SPEC §3). */
    source: z.object({ transport: z.string(), address: z.string(), trunk: z.string().optional() }),
    headers: z.record(z.string(), z.string()),
    media: z.object({ codecs: z.array(z.string()) }),
  }),
});

export const DialCompletedSchema = z.object({
  type: z.literal("call.dial-completed"),
  timestamp: z.string(),
  data: CallIncomingSchema.shape.data.extend({
    dial: z.object({
      status: z.enum(["answered", "busy", "no-answer", "failed", "canceled"]),
      sipStatus: z.number().nullable(),
      answeredBy: z.string().nullable(),
      durationSec: z.number().nullable(),
    }),
  }),
});

export type ApplicationRequest = z.infer<typeof CallIncomingSchema> | z.infer<typeof DialCompletedSchema>;

export type ParsedAnswer = { ok: true; actions: Action[] } | { ok: false; error: string };

/** An application's answer body: invalid JSON, an unknown action or a bad field says which. */
export function parseApplicationAnswer(body: string): ParsedAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: "invalid JSON" };
  }
  const r = ApplicationAnswerSchema.safeParse(json);
  if (r.success) return { ok: true, actions: r.data.actions };
  const issue = r.error.issues[0]!;
  const path = issue.path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
  if (issue.code === "invalid_union" && issue.path.at(-1) === "action") {
    const at = issue.path.slice(0, -1);
    const value = at.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown>)?.[k], json);
    return {
      ok: false,
      error: `unknown action ${JSON.stringify((value as { action?: unknown })?.action)} at ${path}`,
    };
  }
  return { ok: false, error: `bad field ${path || "(body)"}: ${issue.message}` };
}
