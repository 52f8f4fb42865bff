import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq, first, newId, NO_FRAUD_LIMITS } from "@hookline/db";
import type { Account } from "@hookline/db";
import { displayText } from "../display-text.js";
import { errors, IdParams, jsonBody, jsonResponse, newRouter, iso } from "../context.js";
import type { RouteDeps } from "../context.js";
import { notFound } from "../errors.js";
import { generateApiKey } from "../secrets.js";
import { FraudLimits, FraudLimitsSchema } from "./trunk-schemas.js";

const AccountSchema = z
  .object({
    id: z.string().openapi({ example: "acc_0123456789abcdefghjk" }),
    name: z.string(),
    fraudLimits: FraudLimitsSchema.openapi({
      description: "Toll-fraud limits over all the account's trunks, beside each trunk's own",
    }),
    createdAt: z.string(),
  })
  .openapi("Account");

const CreatedAccountSchema = AccountSchema.extend({
  apiKey: z.string().openapi({ description: "Shown once; only its SHA-256 is stored." }),
}).openapi("CreatedAccount");

const CreateAccountBody = z
  .strictObject({ name: displayText(z.string().trim().min(1).max(200)) })
  .openapi("CreateAccount");

const UpdateAccountBody = z
  .strictObject({
    name: displayText(z.string().trim().min(1).max(200)).optional(),
    fraudLimits: FraudLimits.optional(),
  })
  .openapi("UpdateAccount");

const operator = [{ operatorToken: [] }];

const accountView = (a: Account) => ({
  id: a.id,
  name: a.name,
  fraudLimits: a.fraudLimits,
  createdAt: iso(a.createdAt) ?? "",
});

const createAccount = createRoute({
  method: "post",
  path: "/accounts",
  operationId: "createAccount",
  tags: ["Accounts"],
  summary: "Create an account and its first API key (operator token)",
  security: operator,
  request: { body: jsonBody(CreateAccountBody) },
  responses: { 201: jsonResponse(CreatedAccountSchema, "Created"), 400: errors[400], 401: errors[401] },
});

const listAccounts = createRoute({
  method: "get",
  path: "/accounts",
  operationId: "listAccounts",
  tags: ["Accounts"],
  summary: "List accounts (operator token)",
  security: operator,
  responses: { 200: jsonResponse(z.object({ data: z.array(AccountSchema) }), "Accounts"), 401: errors[401] },
});

const updateAccount = createRoute({
  method: "patch",
  path: "/accounts/{id}",
  operationId: "updateAccount",
  tags: ["Accounts"],
  summary:
    "Change an account's name or toll-fraud limits (operator token); given limits replace, omitted stay",
  security: operator,
  request: { params: IdParams, body: jsonBody(UpdateAccountBody) },
  responses: {
    200: jsonResponse(AccountSchema, "Updated"),
    400: errors[400],
    401: errors[401],
    404: errors[404],
  },
});

export function accountRoutes({ store, now }: RouteDeps) {
  const { db, t } = store;
  const { accounts, apiKeys } = t;
  const app = newRouter();

  app.openapi(createAccount, async (c) => {
    const { name } = c.req.valid("json");
    const id = newId("acc");
    const createdAt = now();
    const key = generateApiKey();
    await store.transaction(async (tx) => {
      await tx.insert(accounts).values({ id, name, createdAt });
      await tx.insert(apiKeys).values({
        id: newId("key"),
        accountId: id,
        prefix: key.prefix,
        keyHash: key.hash,
        name: "default",
        createdAt,
      });
    });
    return c.json(
      { id, name, fraudLimits: NO_FRAUD_LIMITS, createdAt: iso(createdAt) ?? "", apiKey: key.key },
      201,
    );
  });

  app.openapi(listAccounts, async (c) => {
    const rows = await db.select().from(accounts).orderBy(asc(accounts.createdAt), asc(accounts.id));
    return c.json({ data: rows.map(accountView) }, 200);
  });

  app.openapi(updateAccount, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const current = first(await db.select().from(accounts).where(eq(accounts.id, id)).limit(1));
    if (!current) throw notFound("account", id);
    const patch: Partial<Account> = {};
    if (body.name !== undefined) patch.name = body.name;
    if (body.fraudLimits) {
      const given = Object.entries(body.fraudLimits).filter(([, v]) => v !== undefined);
      patch.fraudLimits = { ...current.fraudLimits, ...Object.fromEntries(given) };
    }
    if (Object.keys(patch).length > 0) await db.update(accounts).set(patch).where(eq(accounts.id, id));
    return c.json(accountView({ ...current, ...patch }), 200);
  });

  return app;
}
