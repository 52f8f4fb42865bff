import { createRoute, z } from "@hono/zod-openapi";
import { conflictResponse, errors, IdParams, iso, jsonBody, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";
import { createConsoleUser, MIN_PASSWORD_LENGTH } from "../console-users.js";
import { badRequest, conflict, notFound } from "../errors.js";

const ConsoleUserSchema = z
  .object({
    id: z.string().openapi({ example: "usr_0123456789abcdefghjk" }),
    accountId: z.string(),
    email: z.string().openapi({ example: "ops@acme.example" }),
    createdAt: z.string(),
    password: z
      .string()
      .optional()
      .openapi({ description: "The generated password, when none was given; shown once" }),
  })
  .openapi("ConsoleUser");

const CreateConsoleUserBody = z
  .strictObject({
    email: z.email().max(254),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH)
      .max(256)
      .optional()
      .openapi({ description: "Omit to have one generated (returned once)" }),
  })
  .openapi("CreateConsoleUser");

const createUser = createRoute({
  method: "post",
  path: "/accounts/{id}/users",
  operationId: "createConsoleUser",
  tags: ["Accounts"],
  summary: "Create a console user (email + password) for an account (operator token)",
  security: [{ operatorToken: [] }],
  request: { params: IdParams, body: jsonBody(CreateConsoleUserBody) },
  responses: { 201: jsonResponse(ConsoleUserSchema, "Created"), ...errors, ...conflictResponse },
});

/** Console users are the operator's to create, like accounts (SPEC §3 operator token). */
export function consoleUserRoutes({ store, now }: RouteDeps) {
  const app = newRouter();
  app.openapi(createUser, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const r = await createConsoleUser(store, { accountId: id, ...body }, now());
    if (!r.ok) {
      if (r.reason === "no_account") throw notFound("account", id);
      if (r.reason === "duplicate_email") throw conflict(`email: ${body.email} already has a console user`);
      throw badRequest(`password: at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    return c.json(
      { ...r.user, createdAt: iso(r.user.createdAt) ?? "", ...(r.password && { password: r.password }) },
      201,
    );
  });
  return app;
}
