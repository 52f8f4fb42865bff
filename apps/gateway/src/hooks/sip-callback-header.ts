/**
 * Callbacks registered inside the signaling (SPEC §4): an INVITE carrying
 * `X-Hookline-Callback: <url>;events="sip.BYE,sip.INFO"` and `X-Hookline-Token: <JWT>`. The token's
 * signature, expiry, account and allowed hosts are checked before anything is registered; both
 * headers never leave the gateway (the B2BUA strips every `X-Hookline-*`).
 */
import { parseCallbackHeader, registerCallCallback, type Allowlist } from "@hookline/callbacks";
import { verifyAccountToken } from "@hookline/console";
import type { Database } from "@hookline/db";
import { getHeader, type SipRequest } from "@hookline/sip-core";

export interface SipCallbackHeaderOptions {
  db: Database;
  tokenSecret: string;
  allowlist?: Allowlist;
  /** Runs just before the callback row is written (the call's own row must exist by then). */
  beforeRegister?: () => void;
}

export type SipCallbackOutcome = { registered: string } | { refused: string } | undefined;

export async function registerSipCallback(
  o: SipCallbackHeaderOptions,
  call: { id: string; accountId: string },
  invite: SipRequest,
): Promise<SipCallbackOutcome> {
  const header = getHeader(invite, "x-hookline-callback");
  if (header === undefined) return undefined;
  const token = getHeader(invite, "x-hookline-token");
  if (!token) return { refused: "X-Hookline-Callback without X-Hookline-Token" };
  const verified = await verifyAccountToken(token.trim(), o.tokenSecret);
  if (!verified.ok) return { refused: `X-Hookline-Token: ${verified.error}` };
  if (verified.accountId !== call.accountId)
    return { refused: "X-Hookline-Token belongs to another account" };
  const parsed = parseCallbackHeader(header);
  if (!parsed.ok) return { refused: parsed.error };
  const host = new URL(parsed.url).host.toLowerCase();
  const hostname = new URL(parsed.url).hostname.toLowerCase();
  // A token without a host list allows any (SSRF rules still apply below).
  const allowed = verified.callbackHosts;
  if (allowed.length > 0 && !allowed.some((h) => h.toLowerCase() === host || h.toLowerCase() === hostname)) {
    return { refused: `X-Hookline-Token does not allow callbacks to ${host}` };
  }
  o.beforeRegister?.();
  const result = registerCallCallback(o.db, {
    accountId: call.accountId,
    callId: call.id,
    url: parsed.url,
    events: parsed.events,
    filter: parsed.filter,
    source: "sip",
    ...(o.allowlist && { allowlist: o.allowlist }),
  });
  return result.ok ? { registered: result.callback.id } : { refused: `${result.field}: ${result.error}` };
}
