/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * SIP domains (SPEC §3) and their application hook (SPEC §5): list, create, edit the URLs, see
 * the hook's secret once, rotate it, delete. Changes go through the REST routes (./account-api.ts).
 */
import { Hono } from "hono";
import type { AccountApi, FieldErrors } from "./account-api.js";
import { redirectWithFlash, takeFlash } from "./flash.js";
import { Field, FormError, formText, OnceSecret, str } from "./form.js";
import { CsrfField, Layout, type WebUser } from "./layout.js";
import { notFoundPage } from "./not-found.js";
import type { WebEnv } from "./session.js";

/** A domain as the API answers it; `secret` only when it was just made. */
type DomainAnswer = DomainView & { secret?: string };

interface DomainView {
  id: string;
  name: string;
  applicationUrl: string | null;
  fallbackUrl: string | null;
  applicationTimeoutMs: number;
}

function DomainsPage(props: {
  user: WebUser;
  domains: DomainView[];
  errors?: FieldErrors;
  values?: Record<string, string>;
}) {
  const { user, values = {} } = props;
  return (
    <Layout title="Domains" user={user} current="/domains">
      {props.domains.length === 0 ? (
        <p class="empty">
          No domains yet. A SIP domain such as <code>acme.sip.example</code> is how calls and registrations
          find your account: create one below.
        </p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col">Application URL</th>
                <th scope="col">Fallback URL</th>
              </tr>
            </thead>
            <tbody>
              {props.domains.map((d) => (
                <tr>
                  <td>
                    <a href={`/domains/${d.id}`}>{d.name}</a>
                  </td>
                  <td>{d.applicationUrl ?? <span class="empty">default route</span>}</td>
                  <td>{d.fallbackUrl ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>New domain</h2>
      <div class="card">
        <FormError errors={props.errors} />
        <form class="stack" method="post" action="/domains">
          <CsrfField user={user} />
          <Field
            name="name"
            label="Domain name"
            placeholder="acme.sip.example"
            value={values["name"]}
            errors={props.errors}
            required
          />
          <HookFields values={values} errors={props.errors} />
          <div>
            <button type="submit">Create domain</button>
          </div>
        </form>
      </div>
    </Layout>
  );
}

function HookFields(props: {
  values: Record<string, string | null | undefined>;
  errors?: FieldErrors | undefined;
}) {
  return (
    <>
      <Field
        name="applicationUrl"
        label="Application URL (optional)"
        type="url"
        hint="Asked what to do with each new call (SPEC §5). Empty: ring the called user."
        value={props.values["applicationUrl"]}
        errors={props.errors}
      />
      <Field
        name="fallbackUrl"
        label="Fallback URL (optional)"
        type="url"
        hint="Asked when the application fails or is too slow."
        value={props.values["fallbackUrl"]}
        errors={props.errors}
      />
    </>
  );
}

function DomainPage(props: {
  user: WebUser;
  domain: DomainView;
  secret?: string;
  errors?: FieldErrors;
  saved?: boolean;
}) {
  const { user, domain: d } = props;
  return (
    <Layout title={d.name} user={user} current="/domains">
      <p>
        <a href="/domains">All domains</a>
      </p>
      {props.secret && <OnceSecret label="Application hook signing secret" value={props.secret} />}
      {props.saved && !props.secret && (
        <p class="notice" role="status">
          Saved.
        </p>
      )}
      <h2>Application hook</h2>
      <div class="card">
        <FormError errors={props.errors} />
        <form class="stack" method="post" action={`/domains/${d.id}`}>
          <CsrfField user={user} />
          <HookFields
            values={{ applicationUrl: d.applicationUrl, fallbackUrl: d.fallbackUrl }}
            errors={props.errors}
          />
          <Field
            name="applicationTimeoutMs"
            label="Timeout (ms)"
            type="number"
            value={String(d.applicationTimeoutMs)}
            errors={props.errors}
          />
          <div>
            <button type="submit">Save</button>
          </div>
        </form>
      </div>
      <div class="actions">
        <form method="post" action={`/domains/${d.id}/rotate-secret`}>
          <CsrfField user={user} />
          <button type="submit">Rotate the hook secret</button>
        </form>
        <form method="post" action={`/domains/${d.id}/delete`}>
          <CsrfField user={user} />
          <button type="submit" class="danger">
            Delete domain and its users
          </button>
        </form>
      </div>
    </Layout>
  );
}

/** An empty URL field means "none": omitted when creating, cleared (null) when editing. */
const urlField = (v: string, empty: null | undefined) => (v === "" ? empty : v);

export function domainPages(api: AccountApi) {
  const app = new Hono<WebEnv>();
  const listOf = async (accountId: string) => {
    const r = await api<{ data: DomainView[] }>(accountId, "GET", "/v1/domains");
    return r.ok ? r.body.data : [];
  };

  app.get("/domains", async (c) => {
    const user = c.get("webUser");
    return c.html(<DomainsPage user={user} domains={await listOf(user.accountId)} />);
  });

  app.post("/domains", async (c) => {
    const user = c.get("webUser");
    const form = await formText(c.req);
    const values = {
      name: str(form["name"]),
      applicationUrl: str(form["applicationUrl"]),
      fallbackUrl: str(form["fallbackUrl"]),
    };
    const r = await api<DomainAnswer>(user.accountId, "POST", "/v1/domains", {
      name: values.name,
      applicationUrl: urlField(values.applicationUrl, undefined),
      fallbackUrl: urlField(values.fallbackUrl, undefined),
    });
    if (!r.ok) {
      const page = (
        <DomainsPage user={user} domains={await listOf(user.accountId)} errors={r.errors} values={values} />
      );
      return c.html(page, 400);
    }
    if (r.body.secret) return redirectWithFlash(c, `/domains/${r.body.id}`, { secret: r.body.secret });
    return c.redirect(`/domains/${r.body.id}`, 303);
  });

  app.get("/domains/:id", async (c) => {
    const user = c.get("webUser");
    const r = await api<DomainAnswer>(
      user.accountId,
      "GET",
      `/v1/domains/${encodeURIComponent(c.req.param("id"))}`,
    );
    if (!r.ok) return notFoundPage(c, user);
    const secret = takeFlash(c)?.secret;
    const saved = c.req.query("saved") === "1";
    return c.html(<DomainPage user={user} domain={r.body} saved={saved} {...(secret && { secret })} />);
  });

  app.post("/domains/:id", async (c) => {
    const user = c.get("webUser");
    const path = `/v1/domains/${encodeURIComponent(c.req.param("id"))}`;
    const form = await formText(c.req);
    const timeout = str(form["applicationTimeoutMs"]);
    const r = await api<DomainAnswer>(user.accountId, "PATCH", path, {
      applicationUrl: urlField(str(form["applicationUrl"]), null),
      fallbackUrl: urlField(str(form["fallbackUrl"]), null),
      // Sent as typed when not a number, so the API names the field.
      applicationTimeoutMs:
        timeout === "" ? undefined : Number.isFinite(Number(timeout)) ? Number(timeout) : timeout,
    });
    if (!r.ok) {
      if (r.status === 404) return notFoundPage(c, user);
      const current = await api<DomainView>(user.accountId, "GET", path);
      if (!current.ok) return notFoundPage(c, user);
      return c.html(<DomainPage user={user} domain={current.body} errors={r.errors} />, 400);
    }
    const saved = `/domains/${r.body.id}?saved=1`;
    if (r.body.secret) return redirectWithFlash(c, saved, { secret: r.body.secret });
    return c.redirect(saved, 303);
  });

  app.post("/domains/:id/rotate-secret", async (c) => {
    const user = c.get("webUser");
    const r = await api<DomainView & { secret: string }>(
      user.accountId,
      "POST",
      `/v1/domains/${encodeURIComponent(c.req.param("id"))}/rotate-secret`,
    );
    if (!r.ok) return notFoundPage(c, user);
    return redirectWithFlash(c, `/domains/${r.body.id}`, { secret: r.body.secret });
  });

  app.post("/domains/:id/delete", async (c) => {
    const user = c.get("webUser");
    const r = await api<DomainAnswer>(
      user.accountId,
      "DELETE",
      `/v1/domains/${encodeURIComponent(c.req.param("id"))}`,
    );
    if (!r.ok) return notFoundPage(c, user);
    return c.redirect("/domains", 303);
  });

  return app;
}
