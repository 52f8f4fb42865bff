import { z } from "@hono/zod-openapi";
import type { Callback } from "@hookline/db";
import { checkCallbackUrl, compileFilter, validateEventNames } from "@hookline/callbacks";
import type { Allowlist } from "@hookline/callbacks";
import { iso } from "./context.js";
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

/** `filter: filter does not compile` reads better as `filter: does not compile`. */
const unprefixed = (message: string, field: string) =>
  message.startsWith(`${field} `) ? message.slice(field.length + 1) : message;

/**
 * The checks zod cannot do: SSRF rules for the URL, SPEC §4 event names, and compiling the CEL
 * filter now, so a bad filter is a 400 at registration and never a failure at delivery time.
 */
export function checkCallbackInput(
  input: { url?: string | undefined; events?: string[] | undefined; filter?: string | null | undefined },
  allowlist: Allowlist,
): void {
  if (input.url !== undefined) {
    const r = checkCallbackUrl(input.url, { allowlist });
    if (!r.ok) throw badRequest(`url: ${unprefixed(r.reason, "url")}`);
  }
  if (input.events !== undefined) {
    const r = validateEventNames(input.events);
    if (!r.ok) throw badRequest(`events: ${r.error}`);
  }
  if (input.filter !== undefined && input.filter !== null) {
    const r = compileFilter(input.filter);
    if (!r.ok) throw badRequest(`filter: ${unprefixed(r.error, "filter")}`);
  }
}
