import type { MiddlewareHandler } from "hono";
import type { WriteHealth } from "@hookline/db";
import { databaseCannotWrite, errorResponse } from "./errors.js";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * In front of the API: while the database cannot write (write-health.ts in packages/db), a write
 * request gets 503 at once instead of half-running; reads go on. A write that fails on the disk
 * is reported to the write health, which logs the outage once a minute and probes for its end.
 */
export function databaseGuard(health: WriteHealth): MiddlewareHandler {
  return async (c, next) => {
    if (!READS.has(c.req.method) && !health.writable) {
      const { state } = health.status;
      return errorResponse(databaseCannotWrite(state === "ok" ? "full" : state), c);
    }
    await next();
    if (c.error) health.noteFailure(c.error);
  };
}
