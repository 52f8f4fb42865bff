/**
 * Calls the platform starts (SPEC §5 `POST /v1/calls`): `to` names a user of one of the account's
 * domains (`sip:user@domain`, or a bare user name when the account has one domain), or a phone
 * number through a trunk (`{number, trunk?}`, or a `sip:` URI on a trunk's host; SPEC §3 trunks).
 * The first party is rung, and once it answers its `actions` run, or the application is asked.
 */
import { asc, domains, eq, sql, type Database } from "@hookline/db";
import { DirectoryMirror } from "@hookline/db/pg";
import type { Action } from "@hookline/callbacks";
import type { B2bua } from "../b2bua/b2bua.js";
import type { CallDirectory, DialContact, IncomingCall, TenantDomain } from "../b2bua/ports.js";
import { parseSip } from "../b2bua/sip-helpers.js";
import type { TrunkCalls, TrunkRoute } from "../trunks/outbound.js";
import type { ApplicationRouter } from "./router.js";
import { numberRoute } from "./outbound-number.js";
import { resolveTarget } from "./targets.js";

/** A phone number through a trunk: the named one, else the account's default. */
export interface NumberParty {
  number: string;
  trunk?: string | undefined;
}

export interface StartCallInput {
  to: string | NumberParty;
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

/**
 * Where the account's domains and a domain's hook settings are read, synchronously: the SQLite
 * database, or on PostgreSQL the directory mirror (SPEC §2, several nodes on one database: the
 * domains table in memory, kept current by LISTEN/NOTIFY; @hookline/db mirror.ts). A query
 * awaited per call would change `startCall` and the router's config reader to promises, and
 * the mirror already holds every column both read.
 */
export type DomainSource = Database | DirectoryMirror;

export interface OutboundDeps {
  db: DomainSource;
  b2bua: B2bua;
  directory: CallDirectory;
  router: ApplicationRouter;
  /** Calls out through trunks; without it, `to` cannot be a number. */
  trunks?: TrunkCalls | undefined;
}

type Failure = Extract<StartCallResult, { ok: false }>;

/** Who the first party is: a user's contacts, or a route through a trunk. */
interface FirstParty {
  domain: TenantDomain;
  /** The call's `to`: the user's `sip:` URI, or `tel:` and the E.164 number (RFC 3966). */
  to: string;
  user: string | undefined;
  contacts: DialContact[];
  trunk?: TrunkRoute | undefined;
}

export function startCall(d: OutboundDeps, accountId: string, input: StartCallInput): StartCallResult {
  const own = accountDomains(d.db, accountId);
  const first = firstParty(d, accountId, own, input);
  if (!first.ok) return first;
  const { domain, to, user, contacts, trunk } = first.party;
  const from = input.callerId ?? input.from ?? `sip:hookline@${domain.name}`;
  const fromUri = /^sips?:/i.test(from) ? from : `sip:${from}@${domain.name}`;
  const timeoutMs = (input.timeout ?? 30) * 1000;
  const incoming: IncomingCall = {
    from: fromUri,
    to,
    requestUri: to,
    user,
    source: { transport: "api", address: "", ...(trunk && { trunk: trunk.trunk.name }) },
    headers: {},
    codecs: [],
  };
  const trunks = d.trunks;
  try {
    const id = d.b2bua.originate({
      domain,
      from: fromUri,
      to,
      contacts,
      timeoutMs,
      // Through a trunk: its targets in order with failover, and its caller id rules (SPEC §3).
      dial:
        trunk && trunks
          ? (call, ended) =>
              trunks.dial(call, trunk, {
                timeoutMs,
                caller: trunks.caller(domain, fromUri, input.callerId, false),
                callEnded: ended,
              })
          : undefined,
      run: (call) =>
        d.router.runOutbound(call, incoming, {
          actions: input.actions,
          applicationUrl: input.applicationUrl,
        }),
    });
    return { ok: true, id, from: fromUri, to };
  } catch (err) {
    return { ok: false, status: 503, message: (err as Error).message };
  }
}

function firstParty(
  d: OutboundDeps,
  accountId: string,
  own: TenantDomain[],
  input: StartCallInput,
): { ok: true; party: FirstParty } | Failure {
  const { to } = input;
  if (typeof to !== "string") {
    // A number is no user of a domain: the call belongs to the domain `from` names, else the first.
    const domain = domainOfFrom(own, input.callerId ?? input.from) ?? own[0];
    if (!domain) return { ok: false, status: 400, message: "to: the account has no domain" };
    const r = numberRoute(d.trunks, accountId, to);
    if (!r.ok) return r;
    return {
      ok: true,
      party: { domain, to: `tel:${r.route.destination}`, user: undefined, contacts: [], trunk: r.route },
    };
  }
  const sip = /^sips?:([^@;>]+)@([^;:>]+)/i.exec(to);
  let domain: TenantDomain | undefined;
  if (sip) {
    domain = own.find((x) => x.name === sip[2]!.toLowerCase());
    if (!domain) {
      // A `sip:` URI on one of a trunk's target hosts goes through that trunk (as a `dial` does).
      const r = d.trunks?.resolve(accountId, to);
      const home = domainOfFrom(own, input.callerId ?? input.from) ?? own[0];
      if (r?.ok && home)
        return { ok: true, party: { domain: home, to, user: undefined, contacts: [], trunk: r.route } };
      return { ok: false, status: 404, message: `to: ${sip[2]} is not a domain of this account` };
    }
  } else {
    if (own.length !== 1)
      return { ok: false, status: 400, message: "to: name the domain too (sip:user@domain)" };
    domain = own[0];
  }
  if (!domain) return { ok: false, status: 400, message: "to: the account has no domain" };
  const target = sip ? sip[1]! : to;
  const resolved = resolveTarget(d.directory, domain, target);
  if (!resolved.ok && resolved.status === 404)
    return { ok: false, status: 404, message: `to: ${resolved.reason}` };
  return {
    ok: true,
    party: {
      domain,
      to: sip ? to : `sip:${target}@${domain.name}`,
      user: target,
      contacts: resolved.ok ? resolved.contacts : [],
    },
  };
}

/** The account's domain a `from` (or `callerId`) URI names, if any. */
function domainOfFrom(own: TenantDomain[], from: string | undefined): TenantDomain | undefined {
  const uri = parseSip(from);
  const host = uri?.user && uri.host.toLowerCase();
  return host ? own.find((x) => x.name === host) : undefined;
}

/** The account's domains, oldest first (the first is the default; ties by id, on both sources). */
export function accountDomains(source: DomainSource, accountId: string): TenantDomain[] {
  const rows =
    source instanceof DirectoryMirror
      ? source
          .domainsOfAccount(accountId)
          .map((x) => ({ domainId: x.id, accountId: x.accountId, name: x.name }))
      : source
          .select({ domainId: domains.id, accountId: domains.accountId, name: domains.name })
          .from(domains)
          .where(eq(domains.accountId, accountId))
          .orderBy(asc(domains.createdAt), asc(domains.id))
          .all();
  return rows.map((x) => ({ ...x, name: x.name.toLowerCase() }));
}

/** The hook settings query, prepared once (building and preparing it per call cost ~6 % of a call's CPU). */
function preparedConfig(db: Database) {
  const query = db
    .select({
      applicationUrl: domains.applicationUrl,
      fallbackUrl: domains.fallbackUrl,
      timeoutMs: domains.applicationTimeoutMs,
      secret: domains.hookSecret,
    })
    .from(domains)
    .where(eq(domains.id, sql.placeholder("domainId")))
    .prepare();
  return (domainId: string) => query.get({ domainId });
}

/** A domain's hook settings, read for each call. */
export function applicationConfigReader(source: DomainSource) {
  const read =
    source instanceof DirectoryMirror
      ? (domainId: string) => {
          const row = source.row("domains", domainId);
          return (
            row && {
              applicationUrl: row.applicationUrl,
              fallbackUrl: row.fallbackUrl,
              timeoutMs: row.applicationTimeoutMs,
              secret: row.hookSecret,
            }
          );
        }
      : preparedConfig(source);
  return (domainId: string) => {
    const row = read(domainId);
    return row && { ...row, timeoutMs: row.timeoutMs ?? 5000 };
  };
}
