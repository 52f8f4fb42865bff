/**
 * The one way a callback comes to exist (SPEC §4): account-wide from `POST /v1/callbacks`, for one
 * call from `POST /v1/calls/:id/callbacks`, or from an INVITE's `X-Hookline-Callback` header once
 * the gateway has verified its `X-Hookline-Token`. Every path checks the same fields, stores the
 * URL in the same form and signs with the same kind of secret.
 */
import type { Callback, CallbackSource, Store } from "@hookline/db";
import { isForeignKeyViolation, newId } from "@hookline/db";
import { validateEventNames } from "./event-names.js";
import { compileFilter } from "./filter.js";
import { newWebhookSecret } from "./signing.js";
import type { Allowlist } from "./ssrf.js";
import { checkCallbackUrl } from "./ssrf.js";

export type CallbackField = "url" | "events" | "filter";

export interface CallbackFields {
  url?: string | undefined;
  events?: string[] | undefined;
  filter?: string | null | undefined;
}

export type CheckCallbackFieldsResult =
  | { ok: true; /** The URL as stored, when one was given. */ url: string | undefined }
  | { ok: false; field: CallbackField; error: string };

/** `url host "x" is a local name` under the field `url` reads `url: host "x" is a local name`. */
const unprefixed = (message: string, field: string) =>
  message.startsWith(`${field} `) ? message.slice(field.length + 1) : message;

/**
 * The checks every callback passes, for the fields given: SSRF rules for the URL (SPEC §6), SPEC §4
 * event names, and the CEL filter compiled now, so a bad filter is refused at registration and
 * never fails at delivery time. The URL comes back in its one stored form: the WHATWG
 * serialisation (lower-case scheme and host, numeric hosts in dotted form, a path of at least `/`).
 */
export function checkCallbackFields(
  input: CallbackFields,
  allowlist: Allowlist | undefined,
): CheckCallbackFieldsResult {
  let url: string | undefined;
  if (input.url !== undefined) {
    const r = checkCallbackUrl(input.url, allowlist ? { allowlist } : {});
    if (!r.ok) return { ok: false, field: "url", error: unprefixed(r.reason, "url") };
    url = r.url.href;
  }
  if (input.events !== undefined) {
    const r = validateEventNames(input.events);
    if (!r.ok) return { ok: false, field: "events", error: r.error };
  }
  if (input.filter !== undefined && input.filter !== null) {
    const r = compileFilter(input.filter);
    if (!r.ok) return { ok: false, field: "filter", error: unprefixed(r.error, "filter") };
  }
  return { ok: true, url };
}

export interface CreateCallbackInput {
  accountId: string;
  /** Null for an account-wide callback; the call's row must exist otherwise. */
  callId: string | null;
  url: string;
  events: string[];
  filter?: string | null | undefined;
  description?: string | null | undefined;
  source: CallbackSource;
  allowlist?: Allowlist | undefined;
  /** Creation time in ms; default now. */
  now?: number | undefined;
}

export type CreateCallbackResult =
  { ok: true; callback: Callback } | { ok: false; field: CallbackField | "callId"; error: string };

export async function createCallback(
  store: Store,
  input: CreateCallbackInput,
): Promise<CreateCallbackResult> {
  const checked = checkCallbackFields(input, input.allowlist);
  if (!checked.ok) return checked;
  const now = input.now ?? Date.now();
  const row = {
    id: newId("cb"),
    accountId: input.accountId,
    callId: input.callId,
    url: checked.url ?? input.url,
    events: input.events,
    filter: input.filter ?? null,
    description: input.description ?? null,
    secret: newWebhookSecret(),
    source: input.source,
    createdAt: now,
    updatedAt: now,
  };
  try {
    const [inserted] = await store.db.insert(store.t.callbacks).values(row).returning();
    if (!inserted) throw new Error("insert into callbacks returned no row");
    return { ok: true, callback: inserted };
  } catch (err) {
    // A per-call callback refers to its call's row (callbacks.call_id references calls.id).
    if (isForeignKeyViolation(err)) {
      return {
        ok: false,
        field: "callId",
        error: `call ${input.callId} of account ${input.accountId} does not exist`,
      };
    }
    throw err;
  }
}
