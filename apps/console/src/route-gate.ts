import type { Context, MiddlewareHandler } from "hono";
import type { RouterRoute } from "hono/types";
import { ApiError } from "./errors.js";

interface Pattern {
  re: RegExp;
  methods: Set<string>;
}

/** hono path syntax (`/v1/domains/:id`, `:id{[0-9]+}`, `*`) as an anchored regular expression. */
function toRegExp(path: string): RegExp {
  let source = "";
  const token = /:[A-Za-z0-9_]+(\{[^}]*\})?|\*/g;
  let last = 0;
  for (let m = token.exec(path); m !== null; m = token.exec(path)) {
    source += path.slice(last, m.index).replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    source += m[0] === "*" ? ".*" : m[1] ? `(?:${m[1].slice(1, -1)})` : "[^/]+";
    last = m.index + m[0].length;
  }
  source += path.slice(last).replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${source}$`);
}

/** The route table, method by path; middleware (`use`, registered as `ALL`) is not a route. */
function patterns(routes: readonly RouterRoute[]): Pattern[] {
  const byPath = new Map<string, Pattern>();
  for (const r of routes) {
    if (r.method === "ALL") continue;
    let p = byPath.get(r.path);
    if (!p) byPath.set(r.path, (p = { re: toRegExp(r.path), methods: new Set() }));
    p.methods.add(r.method);
  }
  return [...byPath.values()];
}

export const noRoute = (c: Context) =>
  new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`);

/**
 * Answers a request no route takes before authentication and body parsing: 404 for an unknown
 * path, 405 with `Allow` (RFC 9110 §15.5.6) for a known path and another method. It runs as
 * middleware, not as `notFound`, because a mounted app's `notFound` is not the mounting app's: in
 * the gateway's composition the API's misses would otherwise answer hono's plain-text 404.
 */
export function routeGate(app: { routes: readonly RouterRoute[] }): MiddlewareHandler {
  let table: Pattern[] | undefined;
  return async (c, next) => {
    // Built on first use, once every router has been mounted.
    table ??= patterns(app.routes);
    const allowed = new Set<string>();
    for (const p of table) if (p.re.test(c.req.path)) for (const m of p.methods) allowed.add(m);
    if (allowed.size === 0) throw noRoute(c);
    // hono answers HEAD with the GET handler.
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (allowed.has(method)) return next();
    if (allowed.has("GET")) allowed.add("HEAD");
    const allow = [...allowed].sort().join(", ");
    throw new ApiError(
      405,
      "method_not_allowed",
      `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`,
      {
        allow,
      },
    );
  };
}
