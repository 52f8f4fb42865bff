/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Context } from "hono";
import { Layout, type WebUser } from "./layout.js";

/** Another account's thing is "not found" too, never "forbidden" (SPEC §3). */
export function notFoundPage(c: Context, user: WebUser) {
  return c.html(
    <Layout title="Not found" user={user}>
      <p>There is nothing here, or it belongs to another account.</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </Layout>,
    404,
  );
}
