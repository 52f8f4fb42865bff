/** The callbacks engine's tables, in one place so the rest of the package reads `tables(db)`. */
import { callbacks, deliveries, deliveryAttempts, outboxEvents } from "@hookline/db";
import type { Database, Schema } from "@hookline/db";

const all = { callbacks, outboxEvents, deliveries, deliveryAttempts };

export function tables(
  _db: Database,
): Pick<Schema, "callbacks" | "outboxEvents" | "deliveries" | "deliveryAttempts"> {
  return all;
}
