import { createRoute, z } from "@hono/zod-openapi";
import { accounts, apiKeys, asc, newId } from "@hookline/db";
import { displayText } from "../display-text.js";
import { errors, jsonBody, jsonResponse, newRouter, iso } from "../context.js";
import type { RouteDeps } from "../context.js";
import { generateApiKey } from "../secrets.js";

const AccountSchema = z
  .object({
    id: z.string().openapi({ example: "acc_0123456789abcdefghjk" }),
    name: z.string(),
    createdAt: z.string(),
  })
  .openapi("Account");

const CreatedAccountSchema = AccountSchema.extend({
  apiKey: z.string().openapi({ description: "Shown once; only its SHA-256 is stored." }),
}).openapi("CreatedAccount");

const CreateAccountBody = z
  .strictObject({ name: displayText(z.string().trim().min(1).max(200)) })
  .openapi("CreateAccount");

const operator = [{ operatorToken: [] }];

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

export function accountRoutes({ db, now }: RouteDeps) {
  const app = newRouter();

  app.openapi(createAccount, (c) => {
    const { name } = c.req.valid("json");
    const id = newId("acc");
    const createdAt = now();
    const key = generateApiKey();
    db.transaction((tx) => {
      tx.insert(accounts).values({ id, name, createdAt }).run();
      tx.insert(apiKeys)
        .values({
          id: newId("key"),
          accountId: id,
          prefix: key.prefix,
          keyHash: key.hash,
          name: "default",
          createdAt,
        })
        .run();
    });
    return c.json({ id, name, createdAt: iso(createdAt) ?? "", apiKey: key.key }, 201);
  });

  app.openapi(listAccounts, (c) => {
    const rows = db.select().from(accounts).orderBy(asc(accounts.createdAt), asc(accounts.id)).all();
    return c.json(
      { data: rows.map((a) => ({ id: a.id, name: a.name, createdAt: iso(a.createdAt) ?? "" })) },
      200,
    );
  });

  return app;
}
