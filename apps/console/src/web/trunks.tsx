/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * SIP trunks (SPEC §3): carriers and PBXs connected to the account. List, create, edit, delete;
 * every change goes through the REST routes (./account-api.ts). Passwords are write-only: a blank
 * password field keeps the stored one.
 */
import { Hono } from "hono";
import type { AccountApi, FieldErrors } from "./account-api.js";
import { formText, raw, str } from "./form.js";
import { CsrfField, Layout, type WebUser } from "./layout.js";
import { notFoundPage } from "./not-found.js";
import type { WebEnv } from "./session.js";
import { bodyOf, FIELDS, TrunkForm, valuesOf } from "./trunk-form.js";
import type { TrunkView, Values } from "./trunk-form.js";

/** A trunk's or target's state in words; without a gateway in the process there is none to show. */
function HealthState(props: { state: string | undefined }) {
  if (props.state === undefined) return <span class="muted">not monitored here</span>;
  return <span class={`state state-${props.state}`}>{props.state}</span>;
}

/** Each outbound target's OPTIONS state, since when, and the last failed ping. */
function HealthTable(props: { health: TrunkView["health"] }) {
  const h = props.health;
  if (!h || h.targets.length === 0)
    return <p class="empty">No health yet: the targets have not been pinged.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">State</th>
            <th scope="col">Since</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {h.targets.map((x) => (
            <tr>
              <td>{`${x.host}:${x.port}/${x.transport}`}</td>
              <td>
                <HealthState state={x.state} />
              </td>
              <td>{x.since ?? ""}</td>
              <td>{x.lastError ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TrunksPage(props: { user: WebUser; trunks: TrunkView[]; errors?: FieldErrors; values?: Values }) {
  return (
    <Layout title="Trunks" user={props.user} current="/trunks">
      {props.trunks.length === 0 ? (
        <p class="empty">No trunks yet. A trunk connects a carrier or a PBX: create one below.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Trunk</th>
                <th scope="col">Outbound targets</th>
                <th scope="col">Inbound sources</th>
                <th scope="col">Health</th>
              </tr>
            </thead>
            <tbody>
              {props.trunks.map((t) => (
                <tr>
                  <td>
                    <a href={`/trunks/${t.id}`}>{t.name}</a>
                    {t.default && " (default)"}
                  </td>
                  <td>{t.outbound.targets.map((x) => `${x.host}:${x.port}/${x.transport}`).join(", ")}</td>
                  <td>{t.inbound.addresses.join(", ")}</td>
                  <td>
                    <HealthState state={t.health?.state} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>New trunk</h2>
      <TrunkForm
        user={props.user}
        action="/trunks"
        values={props.values ?? {}}
        errors={props.errors}
        submit="Create trunk"
      />
    </Layout>
  );
}

function TrunkPage(props: {
  user: WebUser;
  trunk: TrunkView;
  values?: Values;
  errors?: FieldErrors;
  saved?: boolean;
}) {
  const { user, trunk: t } = props;
  return (
    <Layout title={t.name} user={user} current="/trunks">
      <p>
        <a href="/trunks">All trunks</a>
      </p>
      {props.saved && (
        <p class="notice" role="status">
          Saved.
        </p>
      )}
      <h2>
        Health: <HealthState state={t.health?.state} />
      </h2>
      <HealthTable health={t.health} />
      <TrunkForm
        user={user}
        action={`/trunks/${t.id}`}
        values={props.values ?? valuesOf(t)}
        errors={props.errors}
        submit="Save"
      />
      <div class="actions">
        <form method="post" action={`/trunks/${t.id}/delete`}>
          <CsrfField user={user} />
          <button type="submit" class="danger">
            Delete trunk
          </button>
        </form>
      </div>
    </Layout>
  );
}

export function trunkPages(api: AccountApi) {
  const app = new Hono<WebEnv>();
  const listOf = async (accountId: string) => {
    const r = await api<{ data: TrunkView[] }>(accountId, "GET", "/v1/trunks");
    return r.ok ? r.body.data : [];
  };
  const submitted = async (req: Parameters<typeof formText>[0]) => {
    const form = await formText(req);
    const values: Values = {};
    for (const k of FIELDS) values[k] = k === "targets" || k === "addresses" ? raw(form[k]) : str(form[k]);
    return {
      values,
      passwords: { outbound: raw(form["outboundPassword"]), inbound: raw(form["inboundPassword"]) },
    };
  };

  app.get("/trunks", async (c) => {
    const user = c.get("webUser");
    return c.html(<TrunksPage user={user} trunks={await listOf(user.accountId)} />);
  });

  app.post("/trunks", async (c) => {
    const user = c.get("webUser");
    const { values, passwords } = await submitted(c.req);
    const r = await api<TrunkView>(user.accountId, "POST", "/v1/trunks", bodyOf(values, passwords));
    if (!r.ok) {
      const trunks = await listOf(user.accountId);
      return c.html(<TrunksPage user={user} trunks={trunks} errors={r.errors} values={values} />, 400);
    }
    return c.redirect(`/trunks/${r.body.id}`, 303);
  });

  app.get("/trunks/:id", async (c) => {
    const user = c.get("webUser");
    const r = await api<TrunkView>(
      user.accountId,
      "GET",
      `/v1/trunks/${encodeURIComponent(c.req.param("id"))}`,
    );
    if (!r.ok) return notFoundPage(c, user);
    return c.html(<TrunkPage user={user} trunk={r.body} saved={c.req.query("saved") === "1"} />);
  });

  app.post("/trunks/:id", async (c) => {
    const user = c.get("webUser");
    const path = `/v1/trunks/${encodeURIComponent(c.req.param("id"))}`;
    const current = await api<TrunkView>(user.accountId, "GET", path);
    if (!current.ok) return notFoundPage(c, user);
    const { values, passwords } = await submitted(c.req);
    const r = await api<TrunkView>(user.accountId, "PATCH", path, bodyOf(values, passwords, current.body));
    if (!r.ok) {
      return c.html(<TrunkPage user={user} trunk={current.body} values={values} errors={r.errors} />, 400);
    }
    return c.redirect(`/trunks/${r.body.id}?saved=1`, 303);
  });

  app.post("/trunks/:id/delete", async (c) => {
    const user = c.get("webUser");
    const r = await api(user.accountId, "DELETE", `/v1/trunks/${encodeURIComponent(c.req.param("id"))}`);
    if (!r.ok) return notFoundPage(c, user);
    return c.redirect("/trunks", 303);
  });

  return app;
}
