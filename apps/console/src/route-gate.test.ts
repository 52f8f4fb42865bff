import { Hono } from "hono";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { notFoundResponse } from "./app.js";
import { harness, OPERATOR } from "./test-helpers.js";
import type { Harness } from "./test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(dialect);
  });
  afterEach(() => h.close());

  /** Mounted the way the gateway's server composes it (apps/gateway/src/server.ts). */
  function composed() {
    const root = new Hono();
    root.get("/healthz", (c) => c.json({ status: "ok" }));
    root.route("/", h.app);
    root.notFound(notFoundResponse);
    return root;
  }

  async function send(app: { request: Hono["request"] }, method: string, path: string, token: string | null) {
    const res = await app.request(path, {
      method,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    const type = res.headers.get("content-type") ?? "";
    return {
      status: res.status,
      type,
      allow: res.headers.get("allow"),
      body: (method === "HEAD" ? null : type.includes("json") ? await res.json() : await res.text()) as {
        error: { code: string; message: string };
      } | null,
    };
  }

  describe("unknown routes and methods answer in the API's error shape (SPEC §3)", () => {
    it("answers JSON 404 for /v1/Accounts, standalone and mounted as the gateway mounts it", async () => {
      const { apiKey } = await h.newAccount();
      for (const app of [h.app, composed()]) {
        for (const token of [apiKey, OPERATOR, null]) {
          const r = await send(app, "GET", "/v1/Accounts", token);
          // Before authentication: an unknown path is unknown whoever asks.
          expect({ status: r.status, type: r.type }).toEqual({ status: 404, type: "application/json" });
          expect(r.body?.error).toEqual({ code: "not_found", message: "no route for GET /v1/Accounts" });
        }
        const outside = await send(app, "GET", "/nothing-here", null);
        expect(outside.status).toBe(404);
        expect(outside.body?.error.code).toBe("not_found");
      }
    });

    it("answers 405 with Allow for a known path and another method", async () => {
      const { apiKey } = await h.newAccount();
      for (const app of [h.app, composed()]) {
        const put = await send(app, "PUT", "/v1/domains", apiKey);
        expect(put.status).toBe(405);
        expect(put.allow).toBe("GET, HEAD, POST");
        expect(put.body?.error).toEqual({
          code: "method_not_allowed",
          message: "PUT is not allowed on /v1/domains; use GET, HEAD, POST",
        });
        const post = await send(app, "POST", "/v1/domains/dom_x", apiKey);
        expect(post.status).toBe(405);
        expect(post.allow).toBe("DELETE, GET, HEAD, PATCH");
        const accounts = await send(app, "DELETE", "/v1/accounts", OPERATOR);
        expect(accounts.status).toBe(405);
        expect(accounts.allow).toBe("GET, HEAD, POST");
      }
    });

    it("still routes known paths, HEAD as GET, and leaves the root's own routes alone", async () => {
      const { apiKey } = await h.newAccount();
      const app = composed();
      expect((await send(app, "GET", "/v1/domains", apiKey)).status).toBe(200);
      expect((await send(app, "HEAD", "/v1/domains", apiKey)).status).toBe(200);
      expect((await send(app, "GET", "/v1/domains/dom_missing", apiKey)).body?.error).toEqual({
        code: "not_found",
        message: "domain dom_missing not found",
      });
      expect((await send(app, "GET", "/v1/domains", null)).status).toBe(401);
      expect((await send(app, "GET", "/v1/openapi.json", null)).status).toBe(200);
      expect((await send(app, "GET", "/healthz", null)).status).toBe(200);
    });

    it("names the body, not zod's target, when the JSON body is not an object", async () => {
      const { apiKey } = await h.newAccount();
      const r = await h.call("POST", "/v1/domains", apiKey, "null");
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/^body: /);
    });
  });
});

afterAll(stopPostgres, 60_000);
