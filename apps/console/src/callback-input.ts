import { z } from "@hono/zod-openapi";
import type { Callback } from "@hookline/db";
import { checkCallbackFields, createCallback } from "@hookline/callbacks";
import type { Allowlist, CallbackFields } from "@hookline/callbacks";
import { iso } from "./context.js";
import type { RouteDeps } from "./context.js";
import { displayText } from "./display-text.js";
import { badRequest } from "./errors.js";

export const CallbackUrl = z
  .url({ protocol: /^https?$/, error: "Invalid URL" })
  .max(2048)
  .openapi({ example: "https://app.example.com/hooks/sip" });
/** Free text beside a callback, shown in the console. */
export const Description = displayText(z.string().max(500));
export const EventNames = z
  .array(z.string().min(1).max(64))
  .min(1)
  .max(64)
  .openapi({ example: ["sip.BYE", "call.completed"], description: "SPEC §4 event names" });
export const Filter = z
  .string()
  .max(4096)
  .openapi({ example: 'message.direction == "received" && message.headers["x-priority"] == "high"' });

export const CallbackSchema = z
  .object({
    id: z.string().openapi({ example: "cb_0123456789abcdefghjk" }),
    url: z.string(),
    events: z.array(z.string()),
    filter: z.string().nullable(),
    description: z.string().nullable(),
    callId: z.string().nullable().openapi({ description: "Set for a callback registered for one call" }),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    source: z.enum(["api", "sip"]),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Callback");

export const CallbackWithSecretSchema = CallbackSchema.extend({
  secret: z.string().openapi({ description: "Standard Webhooks signing secret", example: "whsec_..." }),
}).openapi("CallbackWithSecret");

export const callbackView = (cb: Callback) => ({
  id: cb.id,
  url: cb.url,
  events: cb.events,
  filter: cb.filter,
  description: cb.description,
  callId: cb.callId,
  enabled: cb.enabled,
  disabledReason: cb.disabledReason,
  source: cb.source,
  createdAt: iso(cb.createdAt) ?? "",
  updatedAt: iso(cb.updatedAt) ?? "",
});

export const callbackWithSecretView = (cb: Callback) => ({ ...callbackView(cb), secret: cb.secret });

/**
 * The shared callback checks (`checkCallbackFields`) as a 400 naming the field; returns the URL in
 * its stored form when one was given.
 */
export function checkCallbackInput(input: CallbackFields, allowlist: Allowlist): string | undefined {
  const r = checkCallbackFields(input, allowlist);
  if (!r.ok) throw badRequest(`${r.field}: ${r.error}`);
  return r.url;
}

/** `createCallback` for the API: its refusals are 400s naming the field. */
export async function createApiCallback(
  { store, allowlist, now }: RouteDeps,
  input: {
    accountId: string;
    callId: string | null;
    url: string;
    events: string[];
    filter?: string | undefined;
    description?: string | undefined;
  },
): Promise<Callback> {
  const r = await createCallback(store, { ...input, source: "api", allowlist, now: now() });
  if (!r.ok) throw badRequest(`${r.field}: ${r.error}`);
  return r.callback;
}
