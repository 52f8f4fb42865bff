/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The Overview (`/`): what is live now and how deliveries are doing, with next steps. */
import { Hono } from "hono";
import { and, count, eq, gt, gte, inArray, listClusterNodes } from "@hookline/db";
import { Layout } from "./layout.js";
import type { SessionDeps, WebEnv } from "./session.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const LIVE_STATES = ["initiated", "ringing", "answered"] as const;

export interface OverviewCounts {
  domains: number;
  credentials: number;
  callbacks: number;
  registrationsOnline: number;
  callsNow: number;
  callsToday: number;
  /** Deliveries of the last 24 hours that ended (succeeded or failed). */
  deliveriesDone: number;
  deliveriesSucceeded: number;
  /** Of those, the dead letters. */
  deliveriesFailed: number;
}

/** Simple counts, each on an index that starts with the account id. */
export async function overviewCounts(deps: SessionDeps, accountId: string): Promise<OverviewCounts> {
  const {
    db,
    t: { calls, callbacks, credentials, deliveries, domains, registrations },
  } = deps.store;
  const t = deps.now();
  const startOfDay = t - (t % DAY_MS); // UTC midnight
  const n = (rows: { n: number }[]) => rows[0]?.n ?? 0;
  const byStatus = await db
    .select({ status: deliveries.status, n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.accountId, accountId), gte(deliveries.createdAt, t - DAY_MS)))
    .groupBy(deliveries.status);
  const of = (s: string) => byStatus.find((r) => r.status === s)?.n ?? 0;
  return {
    domains: n(await db.select({ n: count() }).from(domains).where(eq(domains.accountId, accountId))),
    credentials: n(
      await db.select({ n: count() }).from(credentials).where(eq(credentials.accountId, accountId)),
    ),
    callbacks: n(await db.select({ n: count() }).from(callbacks).where(eq(callbacks.accountId, accountId))),
    registrationsOnline: n(
      await db
        .select({ n: count() })
        .from(registrations)
        .where(and(eq(registrations.accountId, accountId), gt(registrations.expiresAt, t))),
    ),
    callsNow: n(
      await db
        .select({ n: count() })
        .from(calls)
        .where(and(eq(calls.accountId, accountId), inArray(calls.state, [...LIVE_STATES]))),
    ),
    callsToday: n(
      await db
        .select({ n: count() })
        .from(calls)
        .where(and(eq(calls.accountId, accountId), gte(calls.startedAt, startOfDay))),
    ),
    deliveriesDone: of("succeeded") + of("failed"),
    deliveriesSucceeded: of("succeeded"),
    deliveriesFailed: of("failed"),
  };
}

/** The first thing missing, in the order the README's tour builds them. */
function NextStep(props: { counts: OverviewCounts }) {
  const c = props.counts;
  if (c.domains === 0)
    return (
      <p>
        Start by <a href="/domains">creating a SIP domain</a>: it is how SIP traffic finds your account.
      </p>
    );
  if (c.credentials === 0)
    return (
      <p>
        Next, <a href="/credentials">add a user</a> so a phone or the softphone can register.
      </p>
    );
  if (c.registrationsOnline === 0)
    return (
      <p>
        No phone is registered. Open the <a href="/softphone">softphone</a> and sign in as one of your users.
      </p>
    );
  if (c.callbacks === 0)
    return (
      <p>
        To get events in your application, <a href="/callbacks/new">add a callback</a>.
      </p>
    );
  return null;
}

/**
 * The platform's nodes by state (SPEC §2: parts as their own processes), read-only: counts only,
 * no ids or addresses; an operator reads those from `GET /v1/cluster`.
 */
function ClusterSection(props: { up: number; lost: number }) {
  if (props.up + props.lost === 0) return null;
  return (
    <section aria-labelledby="cluster">
      <h2 id="cluster">Cluster</h2>
      <ul class="stats">
        <li>
          <strong>{props.up}</strong> {props.up === 1 ? "node" : "nodes"} up
        </li>
        <li>
          <strong>{props.lost}</strong> {props.lost === 1 ? "node" : "nodes"} lost
        </li>
      </ul>
    </section>
  );
}

export function overviewPage(deps: SessionDeps) {
  const app = new Hono<WebEnv>();
  app.get("/", async (c) => {
    const user = c.get("webUser");
    const counts = await overviewCounts(deps, user.accountId);
    const nodes = await listClusterNodes(deps.store, deps.now());
    const up = nodes.filter((n) => n.state === "up").length;
    const rate =
      counts.deliveriesDone === 0
        ? "—"
        : `${Math.round((100 * counts.deliveriesSucceeded) / counts.deliveriesDone)}%`;
    return c.html(
      <Layout title="Overview" user={user} current="/">
        <ul class="stats">
          <li>
            <strong>{counts.registrationsOnline}</strong> registrations online
          </li>
          <li>
            <strong>{counts.callsNow}</strong> calls now
          </li>
          <li>
            <strong>{counts.callsToday}</strong> calls today (UTC)
          </li>
          <li>
            <strong>{rate}</strong> deliveries succeeded (24 h
            {counts.deliveriesDone > 0 && `, ${counts.deliveriesSucceeded} of ${counts.deliveriesDone}`})
          </li>
        </ul>
        {counts.deliveriesFailed > 0 && (
          <p class="notice error">
            {`${counts.deliveriesFailed} ${counts.deliveriesFailed === 1 ? "delivery" : "deliveries"} failed in 24 h: `}
            <a href="/deliveries?status=failed">see the callbacks failing</a>, fix the endpoint, then replay
            them.
          </p>
        )}
        <NextStep counts={counts} />
        <ClusterSection up={up} lost={nodes.length - up} />
      </Layout>,
    );
  });
  return app;
}
