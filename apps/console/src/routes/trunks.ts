import { createRoute, z } from "@hono/zod-openapi";
import { sealSecret, trunkSecretContext } from "@hookline/auth-tokens";
import { and, asc, eq, first, isUniqueViolation, newId } from "@hookline/db";
import type { Trunk } from "@hookline/db";
import { conflictResponse, errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps, TrunkHealthView } from "../context.js";
import { conflict, notFound } from "../errors.js";
import { CreateTrunkBody, TrunkSchema, UpdateTrunkBody } from "./trunk-schemas.js";
import type { TrunkBody } from "./trunk-schemas.js";

const tags = ["Trunks"];
const create = createRoute({
  method: "post",
  path: "/trunks",
  operationId: "createTrunk",
  tags,
  summary: "Connect a carrier or PBX (name unique per account)",
  request: { body: jsonBody(CreateTrunkBody) },
  responses: { 201: jsonResponse(TrunkSchema, "Created"), ...errors, ...conflictResponse },
});
const list = createRoute({
  method: "get",
  path: "/trunks",
  operationId: "listTrunks",
  tags,
  summary: "List the account's trunks",
  responses: { 200: jsonResponse(z.object({ data: z.array(TrunkSchema) }), "Trunks"), ...errors },
});
const get = createRoute({
  method: "get",
  path: "/trunks/{id}",
  operationId: "getTrunk",
  tags,
  summary: "Get a trunk (passwords are never returned)",
  request: { params: IdParams },
  responses: { 200: jsonResponse(TrunkSchema, "The trunk"), ...errors },
});
const update = createRoute({
  method: "patch",
  path: "/trunks/{id}",
  operationId: "updateTrunk",
  tags,
  summary: "Change a trunk: given fields replace, omitted ones stay; credentials null removes them",
  request: { params: IdParams, body: jsonBody(UpdateTrunkBody) },
  responses: { 200: jsonResponse(TrunkSchema, "Updated"), ...errors, ...conflictResponse },
});
const remove = createRoute({
  method: "delete",
  path: "/trunks/{id}",
  operationId: "deleteTrunk",
  tags,
  summary: "Delete a trunk (its numbers stay, reachable through the account's other trunks)",
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...errors },
});

/** Picks fields explicitly: sealed passwords never leave the server. */
export const trunkView = (t: Trunk, health: TrunkHealthView | null) => ({
  id: t.id,
  name: t.name,
  default: t.isDefault,
  outbound: {
    targets: t.outboundTargets,
    username: t.outboundUsername,
    hasPassword: t.outboundPasswordSealed !== null,
  },
  inbound: {
    addresses: t.inboundAddresses,
    username: t.inboundUsername,
    hasPassword: t.inboundPasswordSealed !== null,
  },
  numberFormat: t.numberFormat,
  codecs: t.codecs,
  callerId: t.callerId,
  fraudLimits: t.fraudLimits,
  health,
  createdAt: iso(t.createdAt) ?? "",
  updatedAt: iso(t.updatedAt) ?? "",
});

/** A new trunk: everything a body leaves out. */
function blankTrunk(id: string, accountId: string, name: string, t: number): Trunk {
  return {
    id,
    accountId,
    name,
    isDefault: false,
    outboundTargets: [],
    outboundUsername: null,
    outboundPasswordSealed: null,
    inboundAddresses: [],
    inboundUsername: null,
    inboundPasswordSealed: null,
    numberFormat: { countryCode: null, nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
    codecs: ["PCMU", "PCMA", "telephone-event"],
    callerId: { number: null, assertIdentity: true },
    fraudLimits: {
      allowedPrefixes: [],
      deniedPrefixes: [],
      maxConcurrentCalls: null,
      callsPerSecond: null,
      dailyOutboundMinutes: null,
    },
    createdAt: t,
    updatedAt: t,
  };
}

export function trunkRoutes({ store, config, now, trunkHealth }: RouteDeps) {
  const {
    db,
    t: { trunks },
  } = store;
  const app = newRouter();
  const view = (t: Trunk) => trunkView(t, trunkHealth ? trunkHealth(t.id) : null);

  /** `body` over `current`: each given field replaces, sub-objects field by field. */
  const apply = (current: Trunk, body: TrunkBody): Trunk => {
    const next: Trunk = { ...current, updatedAt: now() };
    if (body.name !== undefined) next.name = body.name;
    if (body.default !== undefined) next.isDefault = body.default;
    if (body.outbound?.targets !== undefined) {
      next.outboundTargets = body.outbound.targets.map((target, i) => {
        const transport = target.transport ?? "udp";
        return {
          host: target.host.toLowerCase(),
          port: target.port ?? (transport === "tls" ? 5061 : 5060),
          transport,
          priority: target.priority ?? i,
        };
      });
    }
    const seal = (side: "outbound" | "inbound", password: string) =>
      sealSecret(config.tokenSecret, password, trunkSecretContext(current.id, side));
    const outCreds = body.outbound?.credentials;
    if (outCreds !== undefined) {
      next.outboundUsername = outCreds?.username ?? null;
      next.outboundPasswordSealed = outCreds ? seal("outbound", outCreds.password) : null;
    }
    if (body.inbound?.addresses !== undefined) next.inboundAddresses = body.inbound.addresses;
    const inCreds = body.inbound?.credentials;
    if (inCreds !== undefined) {
      next.inboundUsername = inCreds?.username ?? null;
      next.inboundPasswordSealed = inCreds ? seal("inbound", inCreds.password) : null;
    }
    if (body.numberFormat) next.numberFormat = { ...current.numberFormat, ...definedOnly(body.numberFormat) };
    if (body.codecs !== undefined) next.codecs = body.codecs;
    if (body.callerId) next.callerId = { ...current.callerId, ...definedOnly(body.callerId) };
    if (body.fraudLimits) next.fraudLimits = { ...current.fraudLimits, ...definedOnly(body.fraudLimits) };
    return next;
  };

  /** Writes the row; one default trunk per account, so a new default clears the old one. */
  const save = async (row: Trunk, insert: boolean) => {
    try {
      await store.transaction(async (tx) => {
        if (row.isDefault) {
          await tx.update(trunks).set({ isDefault: false }).where(eq(trunks.accountId, row.accountId));
        }
        if (insert) await tx.insert(trunks).values(row);
        else await tx.update(trunks).set(row).where(eq(trunks.id, row.id));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`name: trunk ${row.name} already exists`);
      throw err;
    }
  };

  const find = async (accountId: string, id: string) => {
    const row = first(
      await db
        .select()
        .from(trunks)
        .where(and(eq(trunks.id, id), eq(trunks.accountId, accountId)))
        .limit(1),
    );
    if (!row) throw notFound("trunk", id);
    return row;
  };

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const row = apply(blankTrunk(newId("trk"), c.var.accountId, body.name, now()), body);
    await save(row, true);
    return c.json(view(row), 201);
  });

  app.openapi(list, async (c) => {
    const rows = await db
      .select()
      .from(trunks)
      .where(eq(trunks.accountId, c.var.accountId))
      .orderBy(asc(trunks.name));
    return c.json({ data: rows.map(view) }, 200);
  });

  app.openapi(get, async (c) => c.json(view(await find(c.var.accountId, c.req.valid("param").id)), 200));

  app.openapi(update, async (c) => {
    const { id } = c.req.valid("param");
    const row = apply(await find(c.var.accountId, id), c.req.valid("json"));
    await save(row, false);
    return c.json(view(await find(c.var.accountId, id)), 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await find(c.var.accountId, id);
    await db.delete(trunks).where(and(eq(trunks.id, id), eq(trunks.accountId, c.var.accountId)));
    return c.body(null, 204);
  });

  return app;
}

/** Drops undefined fields, so a partial sub-object merges without erasing what it omits. */
function definedOnly<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]-?: Exclude<T[K], undefined>;
  };
}
