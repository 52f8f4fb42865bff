import { defineConfig } from "drizzle-kit";

// Migrations are generated into ./drizzle and committed; openDatabase() applies them at open.
// Run as: flock /tmp/hookline-dbgen.lock npm run db:generate -w @hookline/db
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/schema/index.ts",
  out: "./drizzle",
});
