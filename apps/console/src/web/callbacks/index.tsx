/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Callbacks (SPEC §3, §4): list, create, edit, disable and enable, rotate the secret (shown once),
 * send a test event, delete; a callback's page lists its deliveries. Every change goes through
 * the REST routes (../account-api.ts): the same validation, SSRF rules and filter compiler.
 */
import { Hono } from "hono";
import type { AccountApi, FieldErrors } from "../account-api.js";
import { redirectWithFlash, takeFlash } from "../flash.js";
import { formText, OnceSecret, str } from "../form.js";
import { CsrfField, Layout, type WebUser } from "../layout.js";
import { notFoundPage } from "../not-found.js";
import type { WebEnv } from "../session.js";
import type { DeliveryFilter, DeliveryView } from "../deliveries/model.js";
import { filterQuery, readFilter } from "../deliveries/model.js";
import { DeliveriesTable, DeliveryFilters, Pager, ReplayAllForm } from "../deliveries/parts.js";
import { Time } from "../time.js";
import { CallbackForm, type CallbackValues } from "./form.js";
import { eventsFromForm } from "./events.js";
import { CALLBACK_FORM_SCRIPT } from "./filter-script.js";

interface CallbackView {
  id: string;
  url: string;
  events: string[];
  filter: string | null;
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}

const EMPTY: CallbackValues = { url: "", events: [], filter: "", description: "" };
const valuesOf = (cb: CallbackView): CallbackValues => ({
  url: cb.url,
  events: cb.events,
  filter: cb.filter ?? "",
  description: cb.description ?? "",
});

function Enabled({ cb }: { cb: CallbackView }) {
  return cb.enabled ? (
    <span class="badge badge-succeeded">Enabled</span>
  ) : (
    <span class="badge badge-failed">{`Disabled${cb.disabledReason ? `: ${cb.disabledReason}` : ""}`}</span>
  );
}

function CallbacksPage(props: { user: WebUser; callbacks: CallbackView[] }) {
  return (
    <Layout title="Callbacks" user={props.user} current="/callbacks">
      <p>
        A callback sends the events you pick to your application as signed HTTP requests.{" "}
        <a href="/deliveries">See every delivery</a>.
      </p>
      <p>
        <a class="button" href="/callbacks/new">
          New callback
        </a>
      </p>
      {props.callbacks.length === 0 ? (
        <p class="empty">
          No callbacks yet. <a href="/callbacks/new">Create one</a>, then send it a test event.
        </p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Filter</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {props.callbacks.map((cb) => (
                <tr>
                  <td>
                    <a href={`/callbacks/${cb.id}`}>{cb.url}</a>
                    {cb.description && <div class="hint">{cb.description}</div>}
                  </td>
                  <td>{cb.events.join(", ")}</td>
                  <td>{cb.filter ? <code>{cb.filter}</code> : "—"}</td>
                  <td>
                    <Enabled cb={cb} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

function NewCallbackPage(props: { user: WebUser; values?: CallbackValues; errors?: FieldErrors }) {
  return (
    <Layout title="New callback" user={props.user} current="/callbacks">
      <p>
        <a href="/callbacks">All callbacks</a>
      </p>
      <CallbackForm
        user={props.user}
        action="/callbacks"
        submit="Create callback"
        values={props.values ?? EMPTY}
        errors={props.errors}
      />
    </Layout>
  );
}

function CallbackPage(props: {
  user: WebUser;
  cb: CallbackView;
  deliveries: DeliveryView[];
  filter: DeliveryFilter;
  secret?: string | undefined;
  notice?: string | undefined;
  values?: CallbackValues | undefined;
  errors?: FieldErrors | undefined;
}) {
  const { user, cb } = props;
  const here = `/callbacks/${cb.id}`;
  return (
    <Layout title="Callback" user={user} current="/callbacks">
      <p>
        <a href="/callbacks">All callbacks</a>
      </p>
      {props.secret && <OnceSecret label="Signing secret" value={props.secret} />}
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <dl class="facts">
        <dt>Endpoint</dt>
        <dd>{cb.url}</dd>
        <dt>State</dt>
        <dd>
          <Enabled cb={cb} />
        </dd>
        <dt>Created</dt>
        <dd>
          <Time at={cb.createdAt} />
        </dd>
      </dl>
      <div class="actions">
        <form method="post" action={`${here}/test`}>
          <CsrfField user={user} />
          <button type="submit">Send a test event</button>
        </form>
        <form method="post" action={`${here}/${cb.enabled ? "disable" : "enable"}`}>
          <CsrfField user={user} />
          <button type="submit">{cb.enabled ? "Disable" : "Enable"}</button>
        </form>
        <form method="post" action={`${here}/rotate-secret`}>
          <CsrfField user={user} />
          <button type="submit">Rotate the secret</button>
        </form>
        <form method="post" action={`${here}/delete`}>
          <CsrfField user={user} />
          <button type="submit" class="danger">
            Delete callback
          </button>
        </form>
      </div>
      <h2>Settings</h2>
      <CallbackForm
        user={user}
        action={here}
        submit="Save"
        values={props.values ?? valuesOf(cb)}
        errors={props.errors}
      />
      <h2 id="deliveries">Deliveries</h2>
      <div class="actions">
        <DeliveryFilters action={here} filter={props.filter} />
        <ReplayAllForm user={user} callback={cb.id} back={`${here}?status=failed`} />
      </div>
      {props.deliveries.length === 0 ? (
        <p class="empty">No deliveries {props.filter.status ? "match" : "yet: send a test event"}.</p>
      ) : (
        <DeliveriesTable deliveries={props.deliveries} />
      )}
      <Pager action={here} filter={props.filter} deliveries={props.deliveries} />
    </Layout>
  );
}

/** The form's fields as the API takes them; an empty filter or description means none. */
function readForm(form: Record<string, string | string[]>): CallbackValues {
  return {
    url: str(form["url"]),
    events: eventsFromForm(form["events"], str(form["moreEvents"])),
    filter: str(form["filter"]),
    description: str(form["description"]),
  };
}

export function callbackPages(api: AccountApi) {
  const app = new Hono<WebEnv>();
  const path = (id: string) => `/v1/callbacks/${encodeURIComponent(id)}`;

  const page = async (
    user: WebUser,
    id: string,
    filter: DeliveryFilter,
    extra: { secret?: string; notice?: string; values?: CallbackValues; errors?: FieldErrors } = {},
  ) => {
    const cb = await api<CallbackView>(user.accountId, "GET", path(id));
    if (!cb.ok) return null;
    const q = filterQuery({ ...filter, callback: cb.body.id });
    const ds = await api<{ data: DeliveryView[] }>(user.accountId, "GET", `/v1/deliveries?${q}`);
    return (
      <CallbackPage
        user={user}
        cb={cb.body}
        deliveries={ds.ok ? ds.body.data : []}
        filter={filter}
        {...extra}
      />
    );
  };

  app.get("/callbacks/callback-form.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    return c.body(CALLBACK_FORM_SCRIPT);
  });

  app.get("/callbacks", async (c) => {
    const user = c.get("webUser");
    const r = await api<{ data: CallbackView[] }>(user.accountId, "GET", "/v1/callbacks");
    return c.html(<CallbacksPage user={user} callbacks={r.ok ? r.body.data : []} />);
  });

  app.get("/callbacks/new", (c) => c.html(<NewCallbackPage user={c.get("webUser")} />));

  app.post("/callbacks", async (c) => {
    const user = c.get("webUser");
    const values = readForm(await formText(c.req));
    const r = await api<CallbackView & { secret: string }>(user.accountId, "POST", "/v1/callbacks", {
      url: values.url,
      events: values.events,
      ...(values.filter ? { filter: values.filter } : {}),
      ...(values.description ? { description: values.description } : {}),
    });
    if (!r.ok) return c.html(<NewCallbackPage user={user} values={values} errors={r.errors} />, 400);
    const here = `/callbacks/${encodeURIComponent(r.body.id)}`;
    return redirectWithFlash(c, here, { secret: r.body.secret, notice: "Callback created." });
  });

  /** The filter check the form's script asks for as you type: JSON, same compiler as the API. */
  app.post("/callbacks/check-filter", async (c) => {
    const user = c.get("webUser");
    const form = await formText(c.req);
    const r = await api<{ match: boolean }>(user.accountId, "POST", "/v1/callbacks/check-filter", {
      filter: str(form["filter"]),
    });
    if (r.ok) return c.json({ match: r.body.match });
    return c.json({ error: r.errors["filter"] ?? Object.values(r.errors).join("; ") }, 400);
  });

  app.get("/callbacks/:id", async (c) => {
    const user = c.get("webUser");
    const p = await page(
      user,
      c.req.param("id"),
      readFilter((n) => c.req.query(n)),
      { ...(c.req.query("saved") === "1" && { notice: "Saved." }), ...takeFlash(c) },
    );
    return p ? c.html(p) : notFoundPage(c, user);
  });

  app.post("/callbacks/:id", async (c) => {
    const user = c.get("webUser");
    const id = c.req.param("id");
    const values = readForm(await formText(c.req));
    const r = await api<CallbackView>(user.accountId, "PATCH", path(id), {
      url: values.url,
      events: values.events,
      filter: values.filter || null,
      description: values.description || null,
    });
    if (r.ok) return c.redirect(`/callbacks/${encodeURIComponent(id)}?saved=1`, 303);
    if (r.status === 404) return notFoundPage(c, user);
    const p = await page(user, id, {}, { values, errors: r.errors });
    return p ? c.html(p, 400) : notFoundPage(c, user);
  });

  for (const [action, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    app.post(`/callbacks/:id/${action}`, async (c) => {
      const user = c.get("webUser");
      const id = c.req.param("id");
      const r = await api(user.accountId, "PATCH", path(id), { enabled });
      if (!r.ok) return notFoundPage(c, user);
      return c.redirect(`/callbacks/${encodeURIComponent(id)}`, 303);
    });
  }

  app.post("/callbacks/:id/rotate-secret", async (c) => {
    const user = c.get("webUser");
    const id = c.req.param("id");
    const r = await api<{ secret: string; previousSecretExpiresAt: string }>(
      user.accountId,
      "POST",
      `${path(id)}/rotate-secret`,
    );
    if (!r.ok) return notFoundPage(c, user);
    const notice = `The old secret keeps signing until ${r.body.previousSecretExpiresAt}, so your endpoint can switch over.`;
    return redirectWithFlash(c, `/callbacks/${encodeURIComponent(id)}`, { secret: r.body.secret, notice });
  });

  app.post("/callbacks/:id/test", async (c) => {
    const user = c.get("webUser");
    const id = c.req.param("id");
    const r = await api<{ deliveryId: string }>(user.accountId, "POST", `${path(id)}/test`, {});
    if (!r.ok) return notFoundPage(c, user);
    return c.redirect(`/deliveries/${encodeURIComponent(r.body.deliveryId)}`, 303);
  });

  app.post("/callbacks/:id/delete", async (c) => {
    const user = c.get("webUser");
    const r = await api(user.accountId, "DELETE", path(c.req.param("id")));
    if (!r.ok) return notFoundPage(c, user);
    return c.redirect("/callbacks", 303);
  });

  return app;
}
