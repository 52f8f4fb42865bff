import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, first, isUniqueViolation, newId } from "@hookline/db";
import type { Schema } from "@hookline/db";
import { conflictResponse, errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { badRequest, conflict, notFound } from "../errors.js";
import { CreateNumberBody, NumberSchema } from "./trunk-schemas.js";

const tags = ["Numbers"];
const create = createRoute({
  method: "post",
  path: "/numbers",
  operationId: "createNumber",
  tags,
  summary: "Add a phone number (E.164; one account platform-wide)",
  request: { body: jsonBody(CreateNumberBody) },
  responses: { 201: jsonResponse(NumberSchema, "Created"), ...errors, ...conflictResponse },
});
const list = createRoute({
  method: "get",
  path: "/numbers",
  operationId: "listNumbers",
  tags,
  summary: "List the account's numbers",
  responses: { 200: jsonResponse(z.object({ data: z.array(NumberSchema) }), "Numbers"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/numbers/{id}",
  operationId: "getNumber",
  tags,
  summary: "Get a number",
  request: { params: IdParams },
  responses: { 200: jsonResponse(NumberSchema, "The number"), ...errors },
});
const remove = createRoute({
  method: "delete",
  path: "/numbers/{id}",
  operationId: "deleteNumber",
  tags,
  summary: "Release a number",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...errors },
});

const columnsOf = ({ domains, numbers, trunks }: Pick<Schema, "domains" | "numbers" | "trunks">) => ({
  id: numbers.id,
  number: numbers.number,
  trunk: trunks.name,
  trunkId: numbers.trunkId,
  domain: domains.name,
  domainId: numbers.domainId,
  user: numbers.user,
  createdAt: numbers.createdAt,
});
type Row = {
  id: string;
  number: string;
  trunk: string | null;
  trunkId: string | null;
  domain: string | null;
  domainId: string | null;
  user: string | null;
  createdAt: number;
};
const view = (r: Row) => ({ ...r, createdAt: iso(r.createdAt) ?? "" });

export function numberRoutes({ store, now }: RouteDeps) {
  const {
    db,
    t: { domains, numbers, trunks },
  } = store;
  const app = newRouter();

  const select = () =>
    db
      .select(columnsOf(store.t))
      .from(numbers)
      .leftJoin(trunks, eq(trunks.id, numbers.trunkId))
      .leftJoin(domains, eq(domains.id, numbers.domainId));

  const find = async (accountId: string, id: string) => {
    const row = first(
      await select()
        .where(and(eq(numbers.id, id), eq(numbers.accountId, accountId)))
        .limit(1),
    );
    if (!row) throw notFound("number", id);
    return row;
  };

  /** A name or id of the account's own trunk or domain; anything else is a 400 on that field. */
  const findTrunk = async (accountId: string, ref: string) => {
    const byId = ref.startsWith("trk_");
    const row = first(
      await db
        .select()
        .from(trunks)
        .where(and(eq(byId ? trunks.id : trunks.name, ref), eq(trunks.accountId, accountId)))
        .limit(1),
    );
    if (!row) throw badRequest(`trunk: no trunk ${ref} in this account`);
    return row;
  };
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
    if (!row) throw badRequest(`domain: no domain ${ref} in this account`);
    return row;
  };

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const accountId = c.var.accountId;
    if (body.user !== undefined && body.domain === undefined) throw badRequest("user: needs a domain");
    const trunk = body.trunk === undefined ? undefined : await findTrunk(accountId, body.trunk);
    const domain = body.domain === undefined ? undefined : await findDomain(accountId, body.domain);
    const row = {
      id: newId("num"),
      accountId,
      number: body.number,
      trunkId: trunk?.id ?? null,
      domainId: domain?.id ?? null,
      user: body.user ?? null,
      createdAt: now(),
    };
    try {
      await db.insert(numbers).values(row);
    } catch (err) {
      // Platform-wide uniqueness; the answer never says which account holds the number.
      if (isUniqueViolation(err)) throw conflict(`number: ${body.number} is not available`);
      throw err;
    }
    return c.json(view({ ...row, trunk: trunk?.name ?? null, domain: domain?.name ?? null }), 201);
  });

  app.openapi(list, async (c) => {
    const rows = await select().where(eq(numbers.accountId, c.var.accountId)).orderBy(asc(numbers.number));
    return c.json({ data: rows.map(view) }, 200);
  });

  app.openapi(get, async (c) => c.json(view(await find(c.var.accountId, c.req.valid("param").id)), 200));

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await find(c.var.accountId, id);
    await db.delete(numbers).where(and(eq(numbers.id, id), eq(numbers.accountId, c.var.accountId)));
    return c.body(null, 204);
  });

  return app;
}
