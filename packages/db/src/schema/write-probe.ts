import { blob, integer, sqliteTable } from "drizzle-orm/sqlite-core";

/**
 * Holds no data: while the database refuses writes (a full disk), write-health.ts commits a
 * padded row here and deletes it again to learn when writing works once more (it must allocate
 * pages and append to the WAL, as real writes do).
 */
export const writeProbe = sqliteTable("write_probe", {
  id: integer("id").primaryKey(),
  pad: blob("pad", { mode: "buffer" }).notNull(),
});
