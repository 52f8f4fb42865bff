import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { eq } from "@hookline/db";
import { ActionSchema } from "@hookline/callbacks";
import { harness, OPERATOR } from "./test-helpers.js";
import type { Harness } from "./test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  // The OpenAPI document is walked as plain JSON.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = any;

  const NO_LIMITS = {
    allowedPrefixes: [],
    deniedPrefixes: [],
    maxConcurrentCalls: null,
    callsPerSecond: null,
    dailyOutboundMinutes: null,
  };

  let h: Harness;
  beforeEach(async () => {
    h = await harness(dialect);
  });
  afterEach(() => h.close());

  describe("accounts (operator token)", () => {
    it("creates an account with a key shown once and stored as SHA-256", async () => {
      const created = await h.call("POST", "/v1/accounts", OPERATOR, { name: "Acme" });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: "Acme", id: expect.stringMatching(/^acc_/) });
      expect(created.body.apiKey).toMatch(/^hk_/);

      const [stored] = await h.store.db
        .select()
        .from(h.store.t.apiKeys)
        .where(eq(h.store.t.apiKeys.accountId, created.body.id));
      expect(stored?.keyHash).toBe(createHash("sha256").update(created.body.apiKey).digest("hex"));
      expect(created.body.apiKey.startsWith(stored?.prefix ?? "x")).toBe(true);

      const list = await h.call("GET", "/v1/accounts", OPERATOR);
      expect(list.body.data).toEqual([
        { id: created.body.id, name: "Acme", fraudLimits: NO_LIMITS, createdAt: created.body.createdAt },
      ]);
      expect(JSON.stringify(list.body)).not.toContain("hk_");
    });

    it("refuses a missing or wrong operator token, and an account key, with 401", async () => {
      const acc = await h.newAccount();
      for (const token of [null, "wrong", acc.apiKey]) {
        const r = await h.call("GET", "/v1/accounts", token);
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe("unauthorized");
      }
    });

    it("sets account-level toll-fraud limits with PATCH; given fields replace, omitted ones stay", async () => {
      const acc = await h.newAccount();
      const path = `/v1/accounts/${acc.id}`;
      const first = await h.call("PATCH", path, OPERATOR, {
        fraudLimits: { deniedPrefixes: ["882", "+979"], maxConcurrentCalls: 4 },
      });
      expect(first.status).toBe(200);
      expect(first.body.fraudLimits).toEqual({
        ...NO_LIMITS,
        deniedPrefixes: ["+882", "+979"],
        maxConcurrentCalls: 4,
      });
      const second = await h.call("PATCH", path, OPERATOR, {
        fraudLimits: { dailyOutboundMinutes: 600, maxConcurrentCalls: null },
      });
      expect(second.body.fraudLimits).toEqual({
        ...NO_LIMITS,
        deniedPrefixes: ["+882", "+979"],
        dailyOutboundMinutes: 600,
      });
      const list = await h.call("GET", "/v1/accounts", OPERATOR);
      expect(list.body.data.find((a: Json) => a.id === acc.id).fraudLimits).toEqual(second.body.fraudLimits);
    });

    it("answers a bad account limit with 400 naming the field, an unknown account with 404", async () => {
      const acc = await h.newAccount();
      const path = `/v1/accounts/${acc.id}`;
      const bad = await h.call("PATCH", path, OPERATOR, { fraudLimits: { maxConcurrentCalls: -1 } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain("fraudLimits.maxConcurrentCalls");
      const prefix = await h.call("PATCH", path, OPERATOR, { fraudLimits: { allowedPrefixes: ["+1-900"] } });
      expect(prefix.status).toBe(400);
      expect(prefix.body.error.message).toContain("fraudLimits.allowedPrefixes");
      const unknown = await h.call("PATCH", path, OPERATOR, { fraudLimits: { limit: 1 } });
      expect(unknown.status).toBe(400);
      const missing = await h.call("PATCH", "/v1/accounts/acc_nope", OPERATOR, { fraudLimits: {} });
      expect(missing.status).toBe(404);
      const withKey = await h.call("PATCH", path, acc.apiKey, { fraudLimits: {} });
      expect(withKey.status).toBe(401);
    });

    it("refuses the operator token on account routes", async () => {
      const r = await h.call("GET", "/v1/domains", OPERATOR);
      expect(r.status).toBe(401);
      expect(r.body.error.message).toBe("invalid API key");
    });
  });

  describe("domains and credentials (account key)", () => {
    it("creates a domain and a credential and lists them; HA1 is stored, never the password", async () => {
      const { apiKey } = await h.newAccount();
      const dom = await h.call("POST", "/v1/domains", apiKey, { name: "Acme.SIP.example" });
      expect(dom.status).toBe(201);
      expect(dom.body).toMatchObject({ name: "acme.sip.example", applicationUrl: null, fallbackUrl: null });

      const cred = await h.call("POST", "/v1/credentials", apiKey, {
        domain: "acme.sip.example",
        username: "alice",
        password: "correct horse",
      });
      expect(cred.status).toBe(201);
      expect(cred.body).toMatchObject({
        domain: "acme.sip.example",
        username: "alice",
        domainId: dom.body.id,
      });
      // Regression: the create response once echoed the stored row, HA1s and all.
      expect(Object.keys(cred.body).sort()).toEqual(["createdAt", "domain", "domainId", "id", "username"]);

      const [row] = await h.store.db.select().from(h.store.t.credentials);
      const md5 = createHash("md5").update("alice:acme.sip.example:correct horse").digest("hex");
      const sha = createHash("sha256").update("alice:acme.sip.example:correct horse").digest("hex");
      expect(row).toMatchObject({ realm: "acme.sip.example", ha1Md5: md5, ha1Sha256: sha });

      expect((await h.call("GET", "/v1/domains", apiKey)).body.data.map((d: { id: string }) => d.id)).toEqual(
        [dom.body.id],
      );
      expect((await h.call("GET", "/v1/credentials", apiKey)).body.data).toEqual([cred.body]);
      expect((await h.call("GET", `/v1/credentials?domain=${dom.body.id}`, apiKey)).body.data).toEqual([
        cred.body,
      ]);
    });

    it("sets and clears the application hook with PATCH", async () => {
      const { apiKey } = await h.newAccount();
      const dom = await h.call("POST", "/v1/domains", apiKey, { name: "acme.sip.example" });
      const set = await h.call("PATCH", `/v1/domains/${dom.body.id}`, apiKey, {
        applicationUrl: "https://app.example.com/incoming",
        fallbackUrl: "https://backup.example.com/incoming",
      });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({
        applicationUrl: "https://app.example.com/incoming",
        fallbackUrl: "https://backup.example.com/incoming",
      });
      const cleared = await h.call("PATCH", `/v1/domains/${dom.body.id}`, apiKey, { fallbackUrl: null });
      expect(cleared.body).toMatchObject({
        applicationUrl: "https://app.example.com/incoming",
        fallbackUrl: null,
      });

      const ssrf = await h.call("PATCH", `/v1/domains/${dom.body.id}`, apiKey, {
        applicationUrl: "http://10.0.0.8/x",
      });
      expect(ssrf.status).toBe(400);
      expect(ssrf.body.error.message).toMatch(/^applicationUrl: /);
    });

    it("answers 409 for a duplicate domain (platform-wide) and a duplicate username in a domain", async () => {
      const a = await h.newAccount("A");
      const b = await h.newAccount("B");
      expect((await h.call("POST", "/v1/domains", a.apiKey, { name: "acme.sip.example" })).status).toBe(201);
      const dupSame = await h.call("POST", "/v1/domains", a.apiKey, { name: "acme.sip.example" });
      const dupOther = await h.call("POST", "/v1/domains", b.apiKey, { name: "ACME.sip.example" });
      for (const r of [dupSame, dupOther]) {
        expect(r.status).toBe(409);
        expect(r.body.error).toEqual({
          code: "conflict",
          message: "name: domain acme.sip.example already exists",
        });
      }
      const body = { domain: "acme.sip.example", username: "alice", password: "password1" };
      expect((await h.call("POST", "/v1/credentials", a.apiKey, body)).status).toBe(201);
      const dupCred = await h.call("POST", "/v1/credentials", a.apiKey, body);
      expect(dupCred.status).toBe(409);
      expect(dupCred.body.error.message).toBe("username: alice already exists in acme.sip.example");
    });

    it("deletes a domain with its credentials", async () => {
      const { apiKey } = await h.newAccount();
      const dom = await h.call("POST", "/v1/domains", apiKey, { name: "acme.sip.example" });
      await h.call("POST", "/v1/credentials", apiKey, {
        domain: dom.body.id,
        username: "bob",
        password: "password1",
      });
      expect((await h.call("DELETE", `/v1/domains/${dom.body.id}`, apiKey)).status).toBe(204);
      expect((await h.call("GET", `/v1/domains/${dom.body.id}`, apiKey)).status).toBe(404);
      expect((await h.call("GET", "/v1/credentials", apiKey)).body.data).toEqual([]);
    });
  });

  describe("tenant isolation", () => {
    it("gives another account's key 404 on every id, and lists nothing of theirs", async () => {
      const a = await h.newAccount("A");
      const b = await h.newAccount("B");
      const dom = await h.call("POST", "/v1/domains", a.apiKey, { name: "acme.sip.example" });
      const cred = await h.call("POST", "/v1/credentials", a.apiKey, {
        domain: "acme.sip.example",
        username: "alice",
        password: "password1",
      });
      const cb = await h.call("POST", "/v1/callbacks", a.apiKey, {
        url: "https://hooks.example.com/a",
        events: ["sip.BYE"],
      });

      const attempts: [string, string, unknown?][] = [
        ["GET", `/v1/domains/${dom.body.id}`],
        ["PATCH", `/v1/domains/${dom.body.id}`, { applicationUrl: "https://evil.example.com/" }],
        ["DELETE", `/v1/domains/${dom.body.id}`],
        ["GET", `/v1/credentials/${cred.body.id}`],
        ["DELETE", `/v1/credentials/${cred.body.id}`],
        ["GET", `/v1/credentials?domain=${dom.body.id}`],
        [
          "POST",
          "/v1/credentials",
          { domain: "acme.sip.example", username: "mallory", password: "password1" },
        ],
        ["GET", `/v1/callbacks/${cb.body.id}`],
        ["PATCH", `/v1/callbacks/${cb.body.id}`, { enabled: false }],
        ["DELETE", `/v1/callbacks/${cb.body.id}`],
        ["POST", `/v1/callbacks/${cb.body.id}/rotate-secret`],
      ];
      for (const [method, path, body] of attempts) {
        const r = await h.call(method, path, b.apiKey, body);
        expect({ method, path, status: r.status, code: r.body.error.code }).toEqual({
          method,
          path,
          status: 404,
          code: "not_found",
        });
      }
      for (const path of ["/v1/domains", "/v1/credentials", "/v1/callbacks"]) {
        expect((await h.call("GET", path, b.apiKey)).body.data).toEqual([]);
      }
      // A's objects are untouched.
      expect((await h.call("GET", `/v1/callbacks/${cb.body.id}`, a.apiKey)).body.enabled).toBe(true);
      expect((await h.call("GET", `/v1/domains/${dom.body.id}`, a.apiKey)).body.applicationUrl).toBeNull();
    });
  });

  describe("bad requests", () => {
    it("answers 400 naming the field", async () => {
      const { apiKey } = await h.newAccount();
      const cases: [string, unknown, RegExp][] = [
        ["/v1/domains", {}, /^name: /],
        ["/v1/domains", { name: "not a domain" }, /^name: must be a DNS name/],
        ["/v1/domains", { name: "a.example", applicationUrl: "nope" }, /^applicationUrl: Invalid URL$/],
        ["/v1/credentials", { domain: "x.example", username: "a b", password: "password1" }, /^username: /],
        ["/v1/credentials", { domain: "x.example", username: "alice", password: "short" }, /^password: /],
        ["/v1/callbacks", { url: "not a url", events: ["sip.BYE"] }, /^url: Invalid URL$/],
        ["/v1/callbacks", { url: "https://h.example.com", events: [] }, /^events: /],
        ["/v1/callbacks", { url: "https://h.example.com", events: [7] }, /^events\.0: /],
        ["/v1/tokens", { ttl: "soon" }, /^ttl: /],
        [
          "/v1/domains",
          { name: "a.example", applicationURL: "https://x.example" },
          /^applicationURL: unknown field$/,
        ],
      ];
      for (const [path, body, message] of cases) {
        const r = await h.call("POST", path, apiKey, body);
        expect({ path, status: r.status }).toEqual({ path, status: 400 });
        expect(r.body.error.code).toBe("invalid_request");
        expect(r.body.error.message).toMatch(message);
      }
    });

    it("answers 400 for malformed JSON and 404 JSON for unknown routes", async () => {
      const { apiKey } = await h.newAccount();
      const malformed = await h.call("POST", "/v1/domains", apiKey, "{not json");
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe("invalid_request");
      const text = await h.app.request("/v1/domains", {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "text/plain" },
        body: "acme.sip.example",
      });
      expect(text.status).toBe(415);
      expect(((await text.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
      const noBody = await h.call("POST", "/v1/domains", apiKey);
      expect(noBody.status).toBe(400);
      expect(noBody.body.error.message).toMatch(/^name: /);
      const missing = await h.call("GET", "/v1/nothing-here", apiKey);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe("not_found");
    });
  });

  describe("documents", () => {
    it("serves an OpenAPI document listing the paths, without auth", async () => {
      const r = await h.call("GET", "/v1/openapi.json", null);
      expect(r.status).toBe(200);
      expect(r.body.openapi).toBe("3.1.0");
      expect(Object.keys(r.body.paths)).toEqual(
        expect.arrayContaining([
          "/v1/accounts",
          "/v1/domains",
          "/v1/domains/{id}",
          "/v1/credentials",
          "/v1/credentials/{id}",
          "/v1/registrations",
          "/v1/callbacks",
          "/v1/callbacks/{id}",
          "/v1/calls",
          "/v1/calls/{id}",
          "/v1/calls/{id}/callbacks",
          "/v1/tokens",
        ]),
      );
      expect(r.body.paths["/v1/accounts"].post.security).toEqual([{ operatorToken: [] }]);
      expect(r.body.components.schemas.CreateCallback.required).toEqual(["url", "events"]);
    });

    it("documents every /v1 route of the app, each with a unique operationId", async () => {
      const doc = (await h.call("GET", "/v1/openapi.json", null)).body;
      const served = new Set(
        h.app.routes
          .filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/") && r.path !== "/v1/openapi.json")
          .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
      );
      expect(served.size).toBeGreaterThan(20);
      const documented = new Map<string, string | undefined>();
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
        for (const [method, op] of Object.entries(ops)) documented.set(`${method} ${path}`, op.operationId);
      }
      expect([...served].filter((route) => !documented.has(route))).toEqual([]);
      expect([...documented].filter(([, id]) => !id).map(([route]) => route)).toEqual([]);
      const ids = [...documented.values()];
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("documents the new call and domain fields", async () => {
      const { schemas } = (await h.call("GET", "/v1/openapi.json", null)).body.components;
      expect(Object.keys(schemas.Call.properties)).toEqual(
        expect.arrayContaining(["origin", "durationSec", "reason", "answeredAt", "endedAt"]),
      );
      // An extended schema is `allOf: [{$ref: base}, {the new properties}]`.
      expect(schemas.CallDetail.allOf[0]).toEqual({ $ref: "#/components/schemas/Call" });
      expect(Object.keys(schemas.CallDetail.allOf[1].properties)).toEqual(
        expect.arrayContaining(["legs", "hooks", "timeline"]),
      );
      expect(schemas.Domain.properties.applicationTimeoutMs).toMatchObject({ type: "integer" });
      expect(Object.keys(schemas.UpdateDomain.properties).sort()).toEqual([
        "applicationTimeoutMs",
        "applicationUrl",
        "fallbackUrl",
      ]);
      expect(schemas.DomainWithSecret.allOf[1].properties.secret.type).toBe("string");
      expect(Object.keys(schemas.StartCall.properties)).toEqual(
        expect.arrayContaining(["to", "actions", "applicationUrl"]),
      );
    });

    it("describes the application hook as webhooks: signed requests, answered with the gateway's actions schema", async () => {
      const doc = (await h.call("GET", "/v1/openapi.json", null)).body;
      expect(Object.keys(doc.webhooks).sort()).toEqual([
        "call.dial-completed",
        "call.incoming",
        "call.outbound-answered",
        "trunk.down",
        "trunk.up",
      ]);
      const ref = (o: Json) => doc.components.schemas[String(o.$ref).replace("#/components/schemas/", "")];
      const hooks = Object.entries(doc.webhooks as Record<string, { post: Json }>);
      for (const [name, hook] of hooks.filter(([n]) => n.startsWith("call."))) {
        expect(hook.post.operationId).toMatch(/^\w+$/);
        const headers = hook.post.parameters.filter((p: Json) => p.in === "header").map((p: Json) => p.name);
        expect(headers.sort()).toEqual(["webhook-id", "webhook-signature", "webhook-timestamp"]);
        const body = ref(hook.post.requestBody.content["application/json"].schema);
        expect(body.properties.type.enum).toEqual([name]);
        expect(body.required).toEqual(["type", "timestamp", "data"]);
        expect(ref(hook.post.responses["200"].content["application/json"].schema)).toBe(
          doc.components.schemas.ApplicationAnswer,
        );
      }
      const incoming = ref(doc.webhooks["call.incoming"].post.requestBody.content["application/json"].schema);
      expect(incoming.properties.data.required).toEqual(
        expect.arrayContaining(["callId", "domain", "from", "to", "source", "headers", "media"]),
      );
      const completed = ref(
        doc.webhooks["call.dial-completed"].post.requestBody.content["application/json"].schema,
      );
      expect(completed.properties.data.properties.dial.properties.status.enum).toEqual([
        "answered",
        "busy",
        "no-answer",
        "failed",
        "canceled",
      ]);

      // The answer's schema is the one the gateway validates with, not a copy written by hand.
      const variants: Json[] = doc.components.schemas.ApplicationAnswer.properties.actions.items.oneOf;
      const byAction = Object.fromEntries(variants.map((v) => [v.properties.action.enum[0], v]));
      expect(Object.keys(byAction).sort()).toEqual(
        ActionSchema.options.map((o) => o.shape.action.value).sort(),
      );
      expect(byAction.dial.required).toEqual(["action", "to"]);
      expect(byAction.reject.properties.status).toMatchObject({ minimum: 400, maximum: 699 });
      expect(byAction.pause.properties.seconds).toMatchObject({ maximum: 30 });
      expect(byAction.redirect.required).toEqual(["action", "url"]);
    });

    it("describes trunk.up and trunk.down (SPEC §4) as signed callback webhooks", async () => {
      const doc = (await h.call("GET", "/v1/openapi.json", null)).body;
      const ref = (o: Json) => doc.components.schemas[String(o.$ref).replace("#/components/schemas/", "")];
      for (const name of ["trunk.up", "trunk.down"]) {
        const post = doc.webhooks[name].post;
        expect(post.operationId).toMatch(/^trunk(Up|Down)$/);
        const headers = post.parameters.filter((p: Json) => p.in === "header").map((p: Json) => p.name);
        expect(headers.sort()).toEqual(["webhook-id", "webhook-signature", "webhook-timestamp"]);
        const body = ref(post.requestBody.content["application/json"].schema);
        expect(body.properties.type.enum).toEqual([name]);
        const trunk = body.properties.data.properties.trunk;
        expect(trunk.required).toEqual(["id", "name", "target", "state", "since", "lastError"]);
        expect(trunk.properties.state.enum).toEqual(["up", "down"]);
      }
    });

    it("serves the console's sign-in page, and sends / there when signed out", async () => {
      const root = await h.app.request("/");
      expect(root.status).toBe(303);
      expect(root.headers.get("location")).toBe("/sign-in");
      const res = await h.app.request("/sign-in");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain("Hookline");
      expect(html).toContain('action="/sign-in"');
    });
  });
});

afterAll(stopPostgres, 60_000);
