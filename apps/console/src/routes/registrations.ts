import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt } from "@hookline/db";
import { errors, iso, jsonResponse, newRouter } from "../context.js";
import type { RouteDeps } from "../context.js";

const RegistrationSchema = z
  .object({
    id: z.string(),
    aor: z.string().openapi({ example: "sip:alice@acme.sip.example" }),
    contact: z.string(),
    transport: z.string().openapi({ example: "wss" }),
    source: z.string().openapi({ example: "203.0.113.7:52110" }),
    domain: z.string(),
    expiresAt: z.string(),
    expires: z.number().int().openapi({ description: "Seconds left" }),
    instanceId: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Registration");

const ListQuery = z.object({
  aor: z.string().optional().openapi({ description: "Only bindings of this address of record" }),
});

const list = createRoute({
  method: "get",
  path: "/registrations",
  operationId: "listRegistrations",
  tags: ["Registrations"],
  summary: "Current (unexpired) bindings of the account's domains",
  request: { query: ListQuery },
  responses: { 200: jsonResponse(z.object({ data: z.array(RegistrationSchema) }), "Bindings"), ...errors },
});

export function registrationRoutes({ store, now }: RouteDeps) {
  const {
    db,
    t: { domains, registrations },
  } = store;
  const app = newRouter();

  app.openapi(list, async (c) => {
    const { aor } = c.req.valid("query");
    const t = now();
    const conditions = [eq(registrations.accountId, c.var.accountId), gt(registrations.expiresAt, t)];
    if (aor !== undefined) conditions.push(eq(registrations.aor, aor));
    const rows = await db
      .select({ r: registrations, domain: domains.name })
      .from(registrations)
      .innerJoin(domains, eq(domains.id, registrations.domainId))
      .where(and(...conditions))
      .orderBy(asc(registrations.aor), asc(registrations.contact));
    const data = rows.map(({ r, domain }) => ({
      id: r.id,
      aor: r.aor,
      contact: r.contact,
      transport: r.transport,
      source: r.source,
      domain,
      expiresAt: iso(r.expiresAt) ?? "",
      expires: Math.max(0, Math.round((r.expiresAt - t) / 1000)),
      instanceId: r.instanceId,
      userAgent: r.userAgent,
      createdAt: iso(r.createdAt) ?? "",
      updatedAt: iso(r.updatedAt) ?? "",
    }));
    return c.json({ data }, 200);
  });

  return app;
}
