/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** API keys of the signed-in account: list, create (shown once), revoke (SPEC §3 account keys). */
import { Hono } from "hono";
import { and, desc, eq, isNull, newId } from "@hookline/db";
import type { Schema } from "@hookline/db";
import { Time } from "./time.js";
import { generateApiKey } from "../secrets.js";
import type { FieldErrors } from "./account-api.js";
import { redirectWithFlash, takeFlash } from "./flash.js";
import { Field, formText, OnceSecret, str } from "./form.js";
import { CsrfField, Layout, type WebUser } from "./layout.js";
import { notFoundPage } from "./not-found.js";
import type { SessionDeps, WebEnv } from "./session.js";

type KeyRow = Schema["apiKeys"]["$inferSelect"];

function ApiKeysPage(props: { user: WebUser; keys: KeyRow[]; created?: string; errors?: FieldErrors }) {
  const { user } = props;
  return (
    <Layout title="API keys" user={user} current="/api-keys">
      <p>
        Keys call the REST API (<a href="/v1/openapi.json">OpenAPI document</a>) as this account:{" "}
        <code>Authorization: Bearer hk_...</code>.
      </p>
      {props.created && <OnceSecret label="Your new API key" value={props.created} />}
      {props.keys.length === 0 ? (
        <p class="empty">No API keys. Create one below to use the REST API.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.keys.map((k) => (
                <tr>
                  <td>{k.name ?? ""}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <Time at={k.createdAt} />
                  </td>
                  <td>
                    {k.revokedAt !== null ? (
                      <>
                        revoked <Time at={k.revokedAt} />
                      </>
                    ) : (
                      <form method="post" action={`/api-keys/${k.id}/revoke`}>
                        <CsrfField user={user} />
                        <button type="submit" class="danger" aria-label={`Revoke key ${k.prefix}`}>
                          Revoke
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>New API key</h2>
      <div class="card">
        <form class="stack" method="post" action="/api-keys">
          <CsrfField user={user} />
          <Field
            name="name"
            label="Name"
            hint="What the key is for, e.g. billing-sync."
            errors={props.errors}
            required
          />
          <div>
            <button type="submit">Create key</button>
          </div>
        </form>
      </div>
    </Layout>
  );
}

export function apiKeyPages({ store, now }: SessionDeps) {
  const {
    db,
    t: { apiKeys },
  } = store;
  const app = new Hono<WebEnv>();
  const keysOf = (accountId: string) =>
    db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId)).orderBy(desc(apiKeys.createdAt));

  app.get("/api-keys", async (c) => {
    const user = c.get("webUser");
    const created = takeFlash(c)?.secret;
    return c.html(
      <ApiKeysPage user={user} keys={await keysOf(user.accountId)} {...(created && { created })} />,
    );
  });

  app.post("/api-keys", async (c) => {
    const user = c.get("webUser");
    const name = str((await formText(c.req))["name"]);
    if (name.length < 1 || name.length > 200) {
      const errors = { name: "Give the key a name (up to 200 characters)." };
      return c.html(<ApiKeysPage user={user} keys={await keysOf(user.accountId)} errors={errors} />, 400);
    }
    const key = generateApiKey();
    await db.insert(apiKeys).values({
      id: newId("key"),
      accountId: user.accountId,
      prefix: key.prefix,
      keyHash: key.hash,
      name,
      createdAt: now(),
    });
    return redirectWithFlash(c, "/api-keys", { secret: key.key });
  });

  app.post("/api-keys/:id/revoke", async (c) => {
    const user = c.get("webUser");
    const id = c.req.param("id");
    const revoked = await db
      .update(apiKeys)
      .set({ revokedAt: now() })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.accountId, user.accountId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    if (revoked.length === 0) return notFoundPage(c, user);
    return c.redirect("/api-keys", 303);
  });

  return app;
}
