/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** SIP users (SPEC §3 credentials): list, create, delete, through the REST routes. */
import { Hono } from "hono";
import type { AccountApi, FieldErrors } from "./account-api.js";
import { Field, FormError, formText, raw, str } from "./form.js";
import { CsrfField, Layout, type WebUser } from "./layout.js";
import { notFoundPage } from "./not-found.js";
import type { WebEnv } from "./session.js";
import { Time } from "./time.js";

interface CredentialView {
  id: string;
  domain: string;
  username: string;
  createdAt: string;
}

function CredentialsPage(props: {
  user: WebUser;
  credentials: CredentialView[];
  domains: { id: string; name: string }[];
  errors?: FieldErrors;
  values?: Record<string, string>;
  created?: string;
}) {
  const { user, values = {}, errors } = props;
  return (
    <Layout title="Users" user={user} current="/credentials">
      <p>SIP users register phones and softphones (digest authentication) under one of your domains.</p>
      {props.created && (
        <p class="notice" role="status">
          User <strong>{props.created}</strong> created. Its password is not stored; only its digest is.
        </p>
      )}
      {props.credentials.length === 0 ? (
        <p class="empty">No users yet. Create one below, then sign in with it on the softphone.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="hint">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.credentials.map((cr) => (
                <tr>
                  <td>{`${cr.username}@${cr.domain}`}</td>
                  <td>
                    <Time at={cr.createdAt} />
                  </td>
                  <td>
                    <form method="post" action={`/credentials/${cr.id}/delete`}>
                      <CsrfField user={user} />
                      <button type="submit" class="danger" aria-label={`Delete ${cr.username}@${cr.domain}`}>
                        Delete
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>New user</h2>
      {props.domains.length === 0 ? (
        <p class="empty">
          Users live in a domain: <a href="/domains">create a domain</a> first.
        </p>
      ) : (
        <div class="card">
          <FormError errors={errors} />
          <form class="stack" method="post" action="/credentials">
            <CsrfField user={user} />
            <label for="f-domain">
              Domain
              <select id="f-domain" name="domain" aria-invalid={errors?.["domain"] ? "true" : undefined}>
                {props.domains.map((d) => (
                  <option value={d.name} selected={values["domain"] === d.name}>
                    {d.name}
                  </option>
                ))}
              </select>
              {errors?.["domain"] && <span class="field-error">{errors["domain"]}</span>}
            </label>
            <Field
              name="username"
              label="User name"
              placeholder="alice"
              value={values["username"]}
              errors={errors}
              required
            />
            <Field
              name="password"
              label="SIP password"
              type="password"
              autocomplete="new-password"
              hint="At least 8 characters."
              errors={errors}
              required
            />
            <div>
              <button type="submit">Create user</button>
            </div>
          </form>
        </div>
      )}
    </Layout>
  );
}

export function credentialPages(api: AccountApi) {
  const app = new Hono<WebEnv>();
  const render = async (
    user: WebUser,
    extra: { errors?: FieldErrors; values?: Record<string, string>; created?: string } = {},
  ) => {
    const [creds, doms] = await Promise.all([
      api<{ data: CredentialView[] }>(user.accountId, "GET", "/v1/credentials"),
      api<{ data: { id: string; name: string }[] }>(user.accountId, "GET", "/v1/domains"),
    ]);
    const credentials = creds.ok ? creds.body.data : [];
    const { created, ...rest } = extra;
    const known = created && credentials.some((cr) => `${cr.username}@${cr.domain}` === created);
    return (
      <CredentialsPage
        user={user}
        credentials={credentials}
        domains={doms.ok ? doms.body.data : []}
        {...rest}
        {...(known && { created })}
      />
    );
  };

  // After a create, the list is shown by a redirect (a reload does not post the form again); the
  // note names the new user only if it is one of the account's.
  app.get("/credentials", async (c) => {
    const created = c.req.query("created");
    return c.html(await render(c.get("webUser"), created ? { created } : {}));
  });

  app.post("/credentials", async (c) => {
    const user = c.get("webUser");
    const form = await formText(c.req);
    const values = { domain: str(form["domain"]), username: str(form["username"]) };
    const r = await api<CredentialView>(user.accountId, "POST", "/v1/credentials", {
      ...values,
      password: raw(form["password"]),
    });
    if (!r.ok) return c.html(await render(user, { errors: r.errors, values }), 400);
    return c.redirect(
      `/credentials?created=${encodeURIComponent(`${r.body.username}@${r.body.domain}`)}`,
      303,
    );
  });

  app.post("/credentials/:id/delete", async (c) => {
    const user = c.get("webUser");
    const r = await api(user.accountId, "DELETE", `/v1/credentials/${encodeURIComponent(c.req.param("id"))}`);
    if (!r.ok) return notFoundPage(c, user);
    return c.redirect("/credentials", 303);
  });

  return app;
}
