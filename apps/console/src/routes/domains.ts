import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, first, isUniqueViolation, newId } from "@hookline/db";
import type { Domain } from "@hookline/db";
import { checkCallbackUrl, newWebhookSecret } from "@hookline/callbacks";
import { conflictResponse, errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { badRequest, conflict, notFound } from "../errors.js";

/** RFC 1035 host name with at least two labels, lower-cased: `acme.sip.example`. */
export const DomainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be a DNS name such as acme.sip.example",
  );

const DomainSchema = z
  .object({
    id: z.string().openapi({ example: "dom_0123456789abcdefghjk" }),
    name: z.string().openapi({ example: "acme.sip.example" }),
    applicationUrl: z.string().nullable(),
    fallbackUrl: z.string().nullable(),
    applicationTimeoutMs: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Domain");

/** The hook's signing secret is shown once: when the first URL is set, and at each rotation. */
const DomainWithSecretSchema = DomainSchema.extend({
  secret: z
    .string()
    .optional()
    .openapi({ description: "whsec_... signing the application hook's requests; shown once" }),
}).openapi("DomainWithSecret");

const HookUrl = z
  .url({ protocol: /^https?$/, error: "Invalid URL" })
  .max(2048)
  .nullable()
  .optional();

const TimeoutMs = z.number().int().min(100).max(30_000).optional();
const CreateDomainBody = z
  .strictObject({
    name: DomainName,
    applicationUrl: HookUrl,
    fallbackUrl: HookUrl,
    applicationTimeoutMs: TimeoutMs,
  })
  .openapi("CreateDomain");
const UpdateDomainBody = z
  .strictObject({ applicationUrl: HookUrl, fallbackUrl: HookUrl, applicationTimeoutMs: TimeoutMs })
  .openapi("UpdateDomain");

const tags = ["Domains"];
const create = createRoute({
  method: "post",
  path: "/domains",
  operationId: "createDomain",
  tags,
  summary: "Create a SIP domain (unique platform-wide)",
  request: { body: jsonBody(CreateDomainBody) },
  responses: { 201: jsonResponse(DomainWithSecretSchema, "Created"), ...errors, ...conflictResponse },
});
const list = createRoute({
  method: "get",
  path: "/domains",
  operationId: "listDomains",
  tags,
  summary: "List the account's domains",
  responses: { 200: jsonResponse(z.object({ data: z.array(DomainSchema) }), "Domains"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/domains/{id}",
  operationId: "getDomain",
  tags,
  summary: "Get a domain",
  request: { params: IdParams },
  responses: { 200: jsonResponse(DomainSchema, "The domain"), ...errors },
});
const update = createRoute({
  method: "patch",
  path: "/domains/{id}",
  operationId: "updateDomain",
  tags,
  summary: "Set the application hook (applicationUrl, fallbackUrl, applicationTimeoutMs; null clears)",
  request: { params: IdParams, body: jsonBody(UpdateDomainBody) },
  responses: { 200: jsonResponse(DomainWithSecretSchema, "Updated"), ...errors },
});
const rotate = createRoute({
  method: "post",
  path: "/domains/{id}/rotate-secret",
  operationId: "rotateDomainSecret",
  tags,
  summary: "A new signing secret for the application hook (the old one stops at once)",
  request: { params: IdParams },
  responses: { 200: jsonResponse(DomainWithSecretSchema, "Rotated"), ...errors },
});
const remove = createRoute({
  method: "delete",
  path: "/domains/{id}",
  operationId: "deleteDomain",
  tags,
  summary: "Delete a domain with its credentials and registrations",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...errors },
});

export const domainView = (d: Domain) => ({
  id: d.id,
  name: d.name,
  applicationUrl: d.applicationUrl,
  fallbackUrl: d.fallbackUrl,
  applicationTimeoutMs: d.applicationTimeoutMs ?? 5000,
  createdAt: iso(d.createdAt) ?? "",
  updatedAt: iso(d.updatedAt) ?? "",
});

export function domainRoutes({ store, allowlist, now }: RouteDeps) {
  const {
    db,
    t: { domains },
  } = store;
  const app = newRouter();

  /** Application hooks are delivered like callbacks, so the same SSRF rules apply (SPEC §6). */
  const checkHook = (field: string, url: string | null | undefined) => {
    if (url === undefined || url === null) return;
    const r = checkCallbackUrl(url, { allowlist });
    if (!r.ok) throw badRequest(`${field}: ${r.reason}`);
  };

  const find = async (accountId: string, id: string) => {
    const row = first(
      await db
        .select()
        .from(domains)
        .where(and(eq(domains.id, id), eq(domains.accountId, accountId)))
        .limit(1),
    );
    if (!row) throw notFound("domain", id);
    return row;
  };

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    checkHook("applicationUrl", body.applicationUrl);
    checkHook("fallbackUrl", body.fallbackUrl);
    const t = now();
    const row = {
      id: newId("dom"),
      accountId: c.var.accountId,
      name: body.name,
      applicationUrl: body.applicationUrl ?? null,
      fallbackUrl: body.fallbackUrl ?? null,
      applicationTimeoutMs: body.applicationTimeoutMs ?? null,
      hookSecret: body.applicationUrl || body.fallbackUrl ? newWebhookSecret() : null,
      createdAt: t,
      updatedAt: t,
    };
    try {
      await db.insert(domains).values(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`name: domain ${body.name} already exists`);
      throw err;
    }
    return c.json({ ...domainView(row), ...(row.hookSecret && { secret: row.hookSecret }) }, 201);
  });

  app.openapi(list, async (c) => {
    const rows = await db
      .select()
      .from(domains)
      .where(eq(domains.accountId, c.var.accountId))
      .orderBy(asc(domains.name));
    return c.json({ data: rows.map(domainView) }, 200);
  });

  app.openapi(get, async (c) =>
    c.json(domainView(await find(c.var.accountId, c.req.valid("param").id)), 200),
  );

  app.openapi(update, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const current = await find(c.var.accountId, id);
    checkHook("applicationUrl", body.applicationUrl);
    checkHook("fallbackUrl", body.fallbackUrl);
    const patch: Partial<Domain> = { updatedAt: now() };
    if (body.applicationUrl !== undefined) patch.applicationUrl = body.applicationUrl;
    if (body.fallbackUrl !== undefined) patch.fallbackUrl = body.fallbackUrl;
    if (body.applicationTimeoutMs !== undefined) patch.applicationTimeoutMs = body.applicationTimeoutMs;
    const secret =
      !current.hookSecret && (body.applicationUrl || body.fallbackUrl) ? newWebhookSecret() : undefined;
    if (secret) patch.hookSecret = secret;
    await db
      .update(domains)
      .set(patch)
      .where(and(eq(domains.id, id), eq(domains.accountId, c.var.accountId)));
    return c.json({ ...domainView(await find(c.var.accountId, id)), ...(secret && { secret }) }, 200);
  });

  app.openapi(rotate, async (c) => {
    const { id } = c.req.valid("param");
    await find(c.var.accountId, id);
    const secret = newWebhookSecret();
    await db
      .update(domains)
      .set({ hookSecret: secret, updatedAt: now() })
      .where(and(eq(domains.id, id), eq(domains.accountId, c.var.accountId)));
    return c.json({ ...domainView(await find(c.var.accountId, id)), secret }, 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await find(c.var.accountId, id);
    await db.delete(domains).where(and(eq(domains.id, id), eq(domains.accountId, c.var.accountId)));
    return c.body(null, 204);
  });

  return app;
}
