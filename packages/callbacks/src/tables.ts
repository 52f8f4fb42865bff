/**
 * The callbacks engine's tables, taken from the database's own schema.
 * `@hookline/db` re-exports `callbacks` but (not yet) the delivery tables it hosts for us; reading
 * them from the drizzle instance keeps one copy of each table object and no relative import
 * across packages. Replace with named imports once `@hookline/db` exports them.
 */
import type { Database, Schema } from "@hookline/db";

export function tables(
  db: Database,
): Pick<Schema, "callbacks" | "outboxEvents" | "deliveries" | "deliveryAttempts"> {
  const schema = (db as unknown as { _: { fullSchema: Schema } })._.fullSchema;
  return schema;
}
