import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, first, isUniqueViolation, newId } from "@hookline/db";
import type { Schema } from "@hookline/db";
import { conflictResponse, errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { computeHa1 } from "@hookline/sip-core";
import { conflict, notFound } from "../errors.js";

/** RFC 3261 §25.1 `user` characters, without escapes: what fits in `sip:<user>@domain` as is. */
const Username = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9\-_.!~*'()&=+$,;?/]+$/,
    "must use only SIP user characters (letters, digits, -_.!~*'()&=+$,;?/)",
  );

const CredentialSchema = z
  .object({
    id: z.string().openapi({ example: "cred_0123456789abcdefghjk" }),
    domain: z.string().openapi({ example: "acme.sip.example" }),
    domainId: z.string(),
    username: z.string().openapi({ example: "alice" }),
    createdAt: z.string(),
  })
  .openapi("Credential");

const CreateCredentialBody = z
  .strictObject({
    domain: z
      .string()
      .min(1)
      .max(253)
      .openapi({ description: "Domain name or id", example: "acme.sip.example" }),
    username: Username,
    password: z.string().min(8).max(256).openapi({ description: "Never stored or returned; HA1 is." }),
  })
  .openapi("CreateCredential");

const ListQuery = z.object({ domain: z.string().optional().openapi({ description: "Domain name or id" }) });

const tags = ["Credentials"];
const create = createRoute({
  method: "post",
  path: "/credentials",
  operationId: "createCredential",
  tags,
  summary: "Create a SIP digest credential (stores HA1 for MD5 and SHA-256)",
  request: { body: jsonBody(CreateCredentialBody) },
  responses: { 201: jsonResponse(CredentialSchema, "Created"), ...errors, ...conflictResponse },
});
const list = createRoute({
  method: "get",
  path: "/credentials",
  operationId: "listCredentials",
  tags,
  summary: "List credentials",
  request: { query: ListQuery },
  responses: { 200: jsonResponse(z.object({ data: z.array(CredentialSchema) }), "Credentials"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/credentials/{id}",
  operationId: "getCredential",
  tags,
  summary: "Get a credential",
  request: { params: IdParams },
  responses: { 200: jsonResponse(CredentialSchema, "The credential"), ...errors },
});
const remove = createRoute({
  method: "delete",
  path: "/credentials/{id}",
  operationId: "deleteCredential",
  tags,
  summary: "Delete a credential",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...errors },
});

const columnsOf = ({ credentials, domains }: Pick<Schema, "credentials" | "domains">) => ({
  id: credentials.id,
  domain: domains.name,
  domainId: credentials.domainId,
  username: credentials.username,
  createdAt: credentials.createdAt,
});
type Row = { id: string; domain: string; domainId: string; username: string; createdAt: number };
/** Picks fields explicitly: the row passed in may carry the HA1s, which never leave the server. */
const view = (r: Row) => ({
  id: r.id,
  domain: r.domain,
  domainId: r.domainId,
  username: r.username,
  createdAt: iso(r.createdAt) ?? "",
});

export function credentialRoutes({ store, now }: RouteDeps) {
  const {
    db,
    t: { credentials, domains },
  } = store;
  const columns = columnsOf(store.t);
  const app = newRouter();

  const findDomain = async (accountId: string, ref: string) => {
    const byId = ref.startsWith("dom_");
    const row = first(
      await db
        .select()
        .from(domains)
        .where(
          and(
            eq(byId ? domains.id : domains.name, byId ? ref : ref.toLowerCase()),
            eq(domains.accountId, accountId),
          ),
        )
        .limit(1),
    );
    if (!row) throw notFound("domain", ref);
    return row;
  };

  const find = async (accountId: string, id: string) => {
    const row = first(
      await db
        .select(columns)
        .from(credentials)
        .innerJoin(domains, eq(domains.id, credentials.domainId))
        .where(and(eq(credentials.id, id), eq(credentials.accountId, accountId)))
        .limit(1),
    );
    if (!row) throw notFound("credential", id);
    return row;
  };

  app.openapi(create, async (c) => {
    const { domain: ref, username, password } = c.req.valid("json");
    const domain = await findDomain(c.var.accountId, ref);
    // The realm is the domain name (RFC 3261 §22.1 suggests the host part); HA1 depends on it.
    const realm = domain.name;
    const row = {
      id: newId("cred"),
      accountId: c.var.accountId,
      domainId: domain.id,
      username,
      realm,
      ha1Md5: computeHa1("MD5", username, realm, password),
      ha1Sha256: computeHa1("SHA-256", username, realm, password),
      createdAt: now(),
    };
    try {
      await db.insert(credentials).values(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`username: ${username} already exists in ${domain.name}`);
      throw err;
    }
    return c.json(view({ ...row, domain: domain.name }), 201);
  });

  app.openapi(list, async (c) => {
    const { domain: ref } = c.req.valid("query");
    const conditions = [eq(credentials.accountId, c.var.accountId)];
    if (ref !== undefined)
      conditions.push(eq(credentials.domainId, (await findDomain(c.var.accountId, ref)).id));
    const rows = await db
      .select(columns)
      .from(credentials)
      .innerJoin(domains, eq(domains.id, credentials.domainId))
      .where(and(...conditions))
      .orderBy(asc(domains.name), asc(credentials.username));
    return c.json({ data: rows.map(view) }, 200);
  });

  app.openapi(get, async (c) => c.json(view(await find(c.var.accountId, c.req.valid("param").id)), 200));

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await find(c.var.accountId, id);
    await db
      .delete(credentials)
      .where(and(eq(credentials.id, id), eq(credentials.accountId, c.var.accountId)));
    return c.body(null, 204);
  });

  return app;
}
