import { customType, integer, pgTable } from "drizzle-orm/pg-core";

/** drizzle's pg-core (0.45) has no bytea column; both drivers read bytea as a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * Mirrors SQLite's write_probe (../schema/write-probe.ts) so both dialects hold the same tables;
 * how write health probes PostgreSQL is for the runtime switch to decide.
 */
export const writeProbe = pgTable("write_probe", {
  id: integer("id").primaryKey(),
  pad: bytea("pad").notNull(),
});
