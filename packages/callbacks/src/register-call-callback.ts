/**
 * Callbacks for one call: from `POST /v1/calls/:id/callbacks` or from the INVITE's
 * `X-Hookline-Callback` header (SPEC §4). The gateway verifies `X-Hookline-Token` first (signature,
 * expiry, account, allowed hosts) and calls this only for a good token.
 */
import type { Callback, CallbackSource, Database } from "@hookline/db";
import { newId } from "@hookline/db";
import { validateEventNames } from "./event-names.js";
import { compileFilter } from "./filter.js";
import { newWebhookSecret } from "./signing.js";
import type { Allowlist } from "./ssrf.js";
import { checkCallbackUrl } from "./ssrf.js";
import { tables } from "./tables.js";

export interface RegisterCallCallbackInput {
  accountId: string;
  callId: string;
  url: string;
  events: string[];
  filter?: string | null;
  description?: string | null;
  source?: CallbackSource;
  allowlist?: Allowlist;
}

export type RegisterCallCallbackResult =
  | { ok: true; callback: Callback }
  | { ok: false; field: "url" | "events" | "filter" | "callId"; error: string };

export function registerCallCallback(
  db: Database,
  input: RegisterCallCallbackInput,
): RegisterCallCallbackResult {
  const url = checkCallbackUrl(input.url, input.allowlist ? { allowlist: input.allowlist } : {});
  if (!url.ok) return { ok: false, field: "url", error: url.reason };
  const events = validateEventNames(input.events);
  if (!events.ok) return { ok: false, field: "events", error: events.error };
  const filter = input.filter ?? null;
  if (filter !== null) {
    const compiled = compileFilter(filter);
    if (!compiled.ok) return { ok: false, field: "filter", error: compiled.error };
  }
  const now = Date.now();
  const row = {
    id: newId("cb"),
    accountId: input.accountId,
    callId: input.callId,
    url: url.url.href,
    events: input.events,
    filter,
    description: input.description ?? null,
    secret: newWebhookSecret(),
    source: input.source ?? "sip",
    createdAt: now,
    updatedAt: now,
  };
  try {
    const inserted = db.insert(tables(db).callbacks).values(row).returning().get();
    return { ok: true, callback: inserted };
  } catch (err) {
    // The call row must exist first (callbacks.call_id references calls.id).
    if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
      return {
        ok: false,
        field: "callId",
        error: `call ${input.callId} of account ${input.accountId} does not exist`,
      };
    }
    throw err;
  }
}
