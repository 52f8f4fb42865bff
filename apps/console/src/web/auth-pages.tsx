/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** Sign-in, sign-out and the password change (SPEC §1: the console's users). */
import { Hono } from "hono";
import { eq, first } from "@hookline/db";
import { MIN_PASSWORD_LENGTH, normalizeEmail } from "../console-users.js";
import { hashPassword, verifyPassword } from "../passwords.js";
import type { FieldErrors } from "./account-api.js";
import { Field, FormError, formText, Notice, raw, str } from "./form.js";
import { CsrfField, Layout, type WebUser } from "./layout.js";
import { currentUser, endOtherSessions, endSession, requireWebUser, startSession } from "./session.js";
import type { SessionDeps, WebEnv } from "./session.js";

/** Only a path of this site, never `//evil.example` or `https://...` (an open redirect). */
export const safeNext = (next: string | undefined) => (next && /^\/(?!\/)[^\\\s]*$/.test(next) ? next : "/");

function SignInPage(props: { email?: string; next: string; errors?: FieldErrors }) {
  return (
    <Layout title="Sign in">
      <div class="card">
        <FormError errors={props.errors} />
        <form class="stack" method="post" action="/sign-in">
          <input type="hidden" name="next" value={props.next} />
          <Field
            name="email"
            label="Email"
            type="email"
            value={props.email}
            autocomplete="username"
            required
          />
          <Field name="password" label="Password" type="password" autocomplete="current-password" required />
          <div>
            <button type="submit">Sign in</button>
          </div>
        </form>
      </div>
      <p class="hint">
        No account yet? Your Hookline operator creates it (<code>npm run user:create</code>).
      </p>
    </Layout>
  );
}

function PasswordPage(props: { user: WebUser; errors?: FieldErrors; changed?: boolean }) {
  return (
    <Layout title="Your account" user={props.user} current="/account">
      <p>
        Signed in as <strong>{props.user.email}</strong>.
      </p>
      {props.changed && <Notice>Password changed. Your other sessions were signed out.</Notice>}
      <h2>Change password</h2>
      <div class="card">
        <FormError errors={props.errors} />
        <form class="stack" method="post" action="/account/password">
          <CsrfField user={props.user} />
          <Field
            name="current"
            label="Current password"
            type="password"
            autocomplete="current-password"
            errors={props.errors}
            required
          />
          <Field
            name="password"
            label="New password"
            type="password"
            autocomplete="new-password"
            hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
            errors={props.errors}
            required
          />
          <div>
            <button type="submit">Change password</button>
          </div>
        </form>
      </div>
    </Layout>
  );
}

const WRONG = { _: "That email and password do not match a console user." };

export function authPages(deps: SessionDeps) {
  const {
    db,
    t: { consoleUsers },
  } = deps.store;
  const app = new Hono<WebEnv>();

  app.get("/sign-in", async (c) => {
    if (await currentUser(c, deps)) return c.redirect("/", 303);
    return c.html(<SignInPage next={safeNext(c.req.query("next"))} />);
  });

  app.post("/sign-in", async (c) => {
    const form = await formText(c.req);
    const email = normalizeEmail(str(form["email"]));
    const next = safeNext(str(form["next"]));
    const user = first(await db.select().from(consoleUsers).where(eq(consoleUsers.email, email)).limit(1));
    // Same answer, and a scrypt either way, whether or not the email exists.
    const ok = user
      ? await verifyPassword(raw(form["password"]), user.passwordHash)
      : (await hashPassword(raw(form["password"])), false);
    if (!user || !ok) return c.html(<SignInPage email={email} next={next} errors={WRONG} />, 401);
    await startSession(c, deps, user.id);
    return c.redirect(next, 303);
  });

  app.post("/sign-out", async (c) => {
    await endSession(c, deps);
    return c.redirect("/sign-in", 303);
  });

  app.use("/account", requireWebUser(deps));
  app.use("/account/*", requireWebUser(deps));
  app.get("/account", (c) =>
    c.html(<PasswordPage user={c.get("webUser")} changed={c.req.query("changed") === "1"} />),
  );

  app.post("/account/password", async (c) => {
    const user = c.get("webUser");
    const form = await formText(c.req);
    const row = first(await db.select().from(consoleUsers).where(eq(consoleUsers.id, user.userId)).limit(1));
    const password = raw(form["password"]);
    let errors: FieldErrors | undefined;
    if (!row || !(await verifyPassword(raw(form["current"]), row.passwordHash))) {
      errors = { current: "This is not your current password." };
    } else if (password.length < MIN_PASSWORD_LENGTH) {
      errors = { password: `At least ${MIN_PASSWORD_LENGTH} characters.` };
    }
    if (errors) return c.html(<PasswordPage user={user} errors={errors} />, 400);
    await db
      .update(consoleUsers)
      .set({ passwordHash: await hashPassword(password) })
      .where(eq(consoleUsers.id, user.userId));
    await endOtherSessions(c, deps, user.userId);
    return c.redirect("/account?changed=1", 303);
  });

  return app;
}
