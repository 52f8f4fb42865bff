/** A signed-in browser for `app.request()` tests: a cookie jar, same-origin form posts. */
import type { Dialect, Store } from "@hookline/db";
import { openTestStore } from "@hookline/db/testing/stores";
import { createConsoleApp, type ConsoleApp } from "../app.js";
import type { RouteDeps } from "../context.js";
import { createConsoleUser } from "../console-users.js";
import { OPERATOR, TOKEN_SECRET } from "../test-helpers.js";

export const ORIGIN = "http://localhost";

export interface WebHarness {
  app: ConsoleApp;
  store: Store;
  /** The app's clock (ms); tests move it forward. */
  clock: { now: number };
  /** A new account with one console user (email, password). */
  tenant(email: string, password?: string): Promise<{ accountId: string; apiKey: string }>;
  browser(): Browser;
  close(): Promise<void>;
}

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: ConsoleApp) {}

  async request(path: string, init: RequestInit & { origin?: string | null } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie) headers.set("cookie", cookie);
    if (init.origin !== null && init.method && init.method !== "GET")
      headers.set("origin", init.origin ?? ORIGIN);
    const { origin: _origin, ...rest } = init;
    const res = await this.app.request(path, { ...rest, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string) {
    return this.request(path);
  }

  /** Where a 303 answer leads, fetched as a browser follows it (any other answer as it is). */
  async follow(res: Response): Promise<Response> {
    const to = res.headers.get("location");
    return res.status === 303 && to ? this.get(to) : res;
  }

  /** A form POST (urlencoded), as a browser sends it. */
  post(path: string, fields: Record<string, string | string[]>, init: { origin?: string | null } = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      ...init,
    });
  }

  /** The CSRF token a page's forms carry. */
  async csrf(path = "/"): Promise<string> {
    const html = await (await this.get(path)).text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m?.[1]) throw new Error(`no CSRF field on ${path}`);
    return m[1];
  }

  async signIn(email: string, password: string): Promise<Response> {
    return this.post("/sign-in", { email, password });
  }
}

/** The console over a fresh database of `dialect`, with a clock the test moves. */
export async function webHarness(
  dialect: Dialect = "sqlite",
  options: { trunkHealth?: RouteDeps["trunkHealth"] } = {},
): Promise<WebHarness> {
  const { store, cleanup } = await openTestStore(dialect);
  const clock = { now: Date.UTC(2026, 5, 1, 12) };
  const app = createConsoleApp({
    store,
    config: { operatorToken: OPERATOR, tokenSecret: TOKEN_SECRET },
    now: () => clock.now,
    ...options,
  });
  return {
    app,
    store,
    clock,
    async tenant(email, password = "correct horse battery") {
      const res = await app.request("/v1/accounts", {
        method: "POST",
        headers: { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" },
        body: JSON.stringify({ name: email }),
      });
      const account = (await res.json()) as { id: string; apiKey: string };
      const r = await createConsoleUser(store, { accountId: account.id, email, password }, clock.now);
      if (!r.ok) throw new Error(r.reason);
      return { accountId: account.id, apiKey: account.apiKey };
    },
    browser: () => new Browser(app),
    close: cleanup,
  };
}
