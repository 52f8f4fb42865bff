/**
 * Calls the platform starts (SPEC §5 `POST /v1/calls`): `to` names a user of one of the account's
 * domains (`sip:user@domain`, or a bare user name when the account has one domain); the first
 * party is rung, and once it answers its `actions` run, or the application is asked.
 */
import { and, domains, eq, type Database } from "@hookline/db";
import type { Action } from "@hookline/callbacks";
import type { B2bua } from "../b2bua/b2bua.js";
import type { CallDirectory, TenantDomain } from "../b2bua/ports.js";
import type { ApplicationRouter } from "./router.js";
import { resolveTarget } from "./targets.js";

export interface StartCallInput {
  to: string;
  from?: string | undefined;
  callerId?: string | undefined;
  /** Seconds the first party may ring. Default 30. */
  timeout?: number | undefined;
  applicationUrl?: string | undefined;
  actions?: Action[] | undefined;
}

export type StartCallResult =
  | { ok: true; id: string; from: string; to: string }
  | { ok: false; status: 400 | 404 | 503; message: string };

export interface OutboundDeps {
  db: Database;
  b2bua: B2bua;
  directory: CallDirectory;
  router: ApplicationRouter;
}

export function startCall(d: OutboundDeps, accountId: string, input: StartCallInput): StartCallResult {
  const own = d.db
    .select({ domainId: domains.id, accountId: domains.accountId, name: domains.name })
    .from(domains)
    .where(eq(domains.accountId, accountId))
    .all();
  const sip = /^sips?:([^@;>]+)@([^;:>]+)/i.exec(input.to);
  let domain: TenantDomain | undefined;
  if (sip) {
    domain = own.find((x) => x.name === sip[2]!.toLowerCase());
    if (!domain) return { ok: false, status: 404, message: `to: ${sip[2]} is not a domain of this account` };
  } else {
    if (own.length !== 1)
      return { ok: false, status: 400, message: "to: name the domain too (sip:user@domain)" };
    domain = own[0];
  }
  if (!domain) return { ok: false, status: 400, message: "to: the account has no domain" };
  const target = sip ? sip[1]! : input.to;
  const resolved = resolveTarget(d.directory, domain, target);
  if (!resolved.ok && resolved.status === 404)
    return { ok: false, status: 404, message: `to: ${resolved.reason}` };
  const to = sip ? input.to : `sip:${target}@${domain.name}`;
  const from = input.callerId ?? input.from ?? `sip:hookline@${domain.name}`;
  const fromUri = /^sips?:/i.test(from) ? from : `sip:${from}@${domain.name}`;
  try {
    const id = d.b2bua.originate({
      domain,
      from: fromUri,
      to,
      contacts: resolved.ok ? resolved.contacts : [],
      timeoutMs: (input.timeout ?? 30) * 1000,
      run: (call) =>
        d.router.runOutbound(
          call,
          {
            from: fromUri,
            to,
            requestUri: to,
            user: target,
            source: { transport: "api", address: "" },
            headers: {},
            codecs: [],
          },
          { actions: input.actions, applicationUrl: input.applicationUrl },
        ),
    });
    return { ok: true, id, from: fromUri, to };
  } catch (err) {
    return { ok: false, status: 503, message: (err as Error).message };
  }
}

/** A domain's hook settings, read for each call. */
export function applicationConfigReader(db: Database) {
  return (domainId: string) => {
    const row = db
      .select({
        applicationUrl: domains.applicationUrl,
        fallbackUrl: domains.fallbackUrl,
        timeoutMs: domains.applicationTimeoutMs,
        secret: domains.hookSecret,
      })
      .from(domains)
      .where(and(eq(domains.id, domainId)))
      .get();
    return row && { ...row, timeoutMs: row.timeoutMs ?? 5000 };
  };
}
