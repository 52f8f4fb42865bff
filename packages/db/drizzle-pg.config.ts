import { defineConfig } from "drizzle-kit";

// The PostgreSQL dialect's migrations (src/schema-pg), generated into ./drizzle-pg and committed,
// beside SQLite's (drizzle.config.ts, the default). Run as:
//   flock /tmp/hookline-dbgen.lock npm run db:generate:pg -w @hookline/db
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema-pg/index.ts",
  out: "./drizzle-pg",
});
