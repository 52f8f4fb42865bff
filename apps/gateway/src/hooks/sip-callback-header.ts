/**
 * Callbacks registered inside the signaling (SPEC §4): an INVITE carrying
 * `X-Hookline-Callback: <url>;events="sip.BYE,sip.INFO"` and `X-Hookline-Token: <JWT>`. The token's
 * signature, expiry, account and allowed hosts are checked before anything is registered; both
 * headers never leave the gateway (the B2BUA strips every `X-Hookline-*`).
 */
import {
  createCallback,
  defaultPort,
  normalizeHost,
  parseCallbackHeader,
  type Allowlist,
} from "@hookline/callbacks";
import { verifyAccountToken } from "@hookline/auth-tokens";
import type { Store } from "@hookline/db";
import { getHeader, type SipRequest } from "@hookline/sip-core";

export interface SipCallbackHeaderOptions {
  /** Built once with the role's dependencies (sqliteStore over the gateway's database). */
  store: Store;
  tokenSecret: string;
  allowlist?: Allowlist;
  /** Runs just before the callback row is written (the call's own row must exist by then). */
  beforeRegister?: () => void | Promise<void>;
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
  let url: URL;
  try {
    url = new URL(parsed.url);
  } catch {
    return { refused: "url: is not a valid absolute URL" };
  }
  // A token without a host list allows any (SSRF rules still apply below).
  if (!tokenAllowsHost(verified.callbackHosts, url)) {
    return { refused: `X-Hookline-Token does not allow callbacks to ${url.host}` };
  }
  await o.beforeRegister?.();
  const result = await createCallback(o.store, {
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

/**
 * Whether the token's `callbackHosts` (`host` or `host:port`) name the URL's host, compared in the
 * same spelling as the SSRF rules (`normalizeHost`: no brackets, lower case, no trailing dot). A
 * host without a port allows every port; with one, the URL's port, explicit or the default.
 */
function tokenAllowsHost(allowed: readonly string[], url: URL): boolean {
  if (allowed.length === 0) return true;
  const host = normalizeHost(url.hostname);
  const port = defaultPort(url);
  return allowed.some((entry) => {
    let e: URL;
    try {
      e = new URL(`http://${entry}`);
    } catch {
      return false;
    }
    return normalizeHost(e.hostname) === host && (e.port === "" || Number(e.port) === port);
  });
}
