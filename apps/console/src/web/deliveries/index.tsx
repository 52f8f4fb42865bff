/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The delivery log (SPEC §3 deliveries): every delivery of the account, filtered by status and
 * paged newest first; one delivery with every attempt; replay one, or every dead letter. Reads and
 * replays go through the REST routes (../account-api.ts), so there is one copy of the queries.
 */
import { Hono } from "hono";
import type { AccountApi } from "../account-api.js";
import { formText, str } from "../form.js";
import { CsrfField, Layout, type WebUser } from "../layout.js";
import { notFoundPage } from "../not-found.js";
import type { WebEnv } from "../session.js";
import type { AttemptView, DeliveryDetailView, DeliveryFilter, DeliveryView } from "./model.js";
import { filterQuery, readFilter } from "./model.js";
import { DeliveriesTable, DeliveryFilters, Pager, ReplayAllForm, StatusBadge } from "./parts.js";
import { Time } from "../time.js";

function DeliveriesPage(props: {
  user: WebUser;
  deliveries: DeliveryView[];
  filter: DeliveryFilter;
  replayed?: number | undefined;
}) {
  const { user, filter } = props;
  return (
    <Layout title="Deliveries" user={user} current="/deliveries">
      <p>
        Every event sent to your callbacks, newest first. A dead letter has used all its retries; replay it
        once your endpoint is fixed.
      </p>
      {props.replayed !== undefined && (
        <p class="notice" role="status">
          {props.replayed === 1 ? "1 delivery" : `${props.replayed} deliveries`} sent again.
        </p>
      )}
      {filter.callback && (
        <p>
          Only callback <a href={`/callbacks/${filter.callback}`}>{filter.callback}</a> ·{" "}
          <a href="/deliveries">all callbacks</a>
        </p>
      )}
      <div class="actions">
        <DeliveryFilters action="/deliveries" filter={filter} />
        <ReplayAllForm
          user={user}
          back="/deliveries?status=failed"
          {...(filter.callback ? { callback: filter.callback } : {})}
        />
      </div>
      {props.deliveries.length === 0 ? (
        <p class="empty">
          {filter.status || filter.before
            ? "No deliveries match."
            : "No deliveries yet. Add a callback and send it a test event."}{" "}
          <a href="/callbacks">Callbacks</a>
        </p>
      ) : (
        <DeliveriesTable deliveries={props.deliveries} showCallback />
      )}
      <Pager action="/deliveries" filter={filter} deliveries={props.deliveries} />
    </Layout>
  );
}

/** The headers every attempt carried (SPEC §4 Standard Webhooks); the signature is not stored. */
function sentHeaders(d: DeliveryView, a: AttemptView) {
  return [
    ["content-type", "application/json"],
    ["webhook-id", d.id],
    ["webhook-timestamp", String(Math.floor(Date.parse(a.time) / 1000))],
    ["webhook-signature", "v1,<HMAC-SHA256 with the callback's secret; not stored>"],
  ];
}

function DeliveryPage(props: { user: WebUser; d: DeliveryDetailView; replayed?: boolean; error?: string }) {
  const { user, d } = props;
  const body = JSON.stringify(d.event.body, null, 2);
  return (
    <Layout title={`Delivery of ${d.eventType}`} user={user} current="/deliveries">
      <p>
        <a href={`/deliveries?${filterQuery({ callback: d.callbackId }, 0)}`}>This callback's deliveries</a> ·{" "}
        <a href="/deliveries">All deliveries</a>
      </p>
      {props.replayed && (
        <p class="notice" role="status">
          Sent again with the same webhook-id; the new attempt appears below once it is made.
        </p>
      )}
      {props.error && (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      )}
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={d.status} />
        </dd>
        <dt>Callback</dt>
        <dd>
          <a href={`/callbacks/${d.callbackId}`}>{d.callbackId}</a>
        </dd>
        <dt>Call</dt>
        <dd>{d.callId ? <a href={`/calls/${d.callId}`}>{d.callId}</a> : "—"}</dd>
        <dt>webhook-id</dt>
        <dd>
          <code>{d.id}</code>
        </dd>
        <dt>Created</dt>
        <dd>
          <Time at={d.createdAt} />
        </dd>
        <dt>Next attempt</dt>
        <dd>{d.status === "pending" ? <Time at={d.nextAttemptAt} /> : "—"}</dd>
      </dl>
      {d.status !== "pending" && (
        <form method="post" action={`/deliveries/${d.id}/replay`}>
          <CsrfField user={user} />
          <button type="submit">Replay this delivery</button>
        </form>
      )}
      <h2>Request body</h2>
      <pre class="code" tabindex={0}>
        {body}
      </pre>
      <h2>Attempts</h2>
      {d.attempts.length === 0 ? (
        <p class="empty">No attempt yet: the engine sends pending deliveries within a second or so.</p>
      ) : (
        d.attempts.map((a) => (
          <section class="card" aria-labelledby={`attempt-${a.attempt}`}>
            <h3 id={`attempt-${a.attempt}`}>
              Attempt {a.attempt}: {a.statusCode ?? "no answer"} · {a.latencyMs} ms · <Time at={a.time} />
            </h3>
            <p class="hint">Request headers</p>
            <pre class="code" tabindex={0}>
              {sentHeaders(d, a)
                .map(([k, v]) => `${k}: ${v}`)
                .join("\n")}
            </pre>
            {a.error && (
              <p>
                <strong>Error:</strong> {a.error}
              </p>
            )}
            <p class="hint">Response excerpt</p>
            <pre class="code" tabindex={0}>
              {a.responseExcerpt ?? "(empty)"}
            </pre>
          </section>
        ))
      )}
    </Layout>
  );
}

/** Only a path of this site, never another origin. */
const localPath = (p: string, fallback: string) => (/^\/(?![/\\])/.test(p) ? p : fallback);

export function deliveryPages(api: AccountApi) {
  const app = new Hono<WebEnv>();

  const list = (user: WebUser, filter: DeliveryFilter) =>
    api<{ data: DeliveryView[] }>(user.accountId, "GET", `/v1/deliveries?${filterQuery(filter)}`);

  app.get("/deliveries", async (c) => {
    const user = c.get("webUser");
    const filter = readFilter((n) => c.req.query(n));
    const r = await list(user, filter);
    const replayed = c.req.query("replayed");
    return c.html(
      <DeliveriesPage
        user={user}
        filter={filter}
        deliveries={r.ok ? r.body.data : []}
        replayed={replayed === undefined ? undefined : Number(replayed) || 0}
      />,
    );
  });

  app.post("/deliveries/replay", async (c) => {
    const user = c.get("webUser");
    const form = await formText(c.req);
    const callback = str(form["callback"]);
    const r = await api<{ replayed: number }>(user.accountId, "POST", "/v1/deliveries/replay", {
      ...(callback ? { callback } : {}),
    });
    const n = r.ok ? r.body.replayed : 0;
    const back = localPath(str(form["back"]), "/deliveries");
    return c.redirect(`${back}${back.includes("?") ? "&" : "?"}replayed=${n}`, 303);
  });

  const detail = (user: WebUser, id: string) =>
    api<DeliveryDetailView>(user.accountId, "GET", `/v1/deliveries/${encodeURIComponent(id)}`);

  app.get("/deliveries/:id", async (c) => {
    const user = c.get("webUser");
    const r = await detail(user, c.req.param("id"));
    if (!r.ok) return notFoundPage(c, user);
    return c.html(<DeliveryPage user={user} d={r.body} replayed={c.req.query("replayed") === "1"} />);
  });

  app.post("/deliveries/:id/replay", async (c) => {
    const user = c.get("webUser");
    const id = c.req.param("id");
    const r = await api(user.accountId, "POST", `/v1/deliveries/${encodeURIComponent(id)}/replay`);
    if (!r.ok) {
      const current = await detail(user, id);
      if (!current.ok) return notFoundPage(c, user);
      return c.html(
        <DeliveryPage user={user} d={current.body} error={Object.values(r.errors).join("; ")} />,
        409,
      );
    }
    return c.redirect(`/deliveries/${encodeURIComponent(id)}?replayed=1`, 303);
  });

  return app;
}
