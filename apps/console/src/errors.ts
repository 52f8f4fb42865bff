import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "@hono/zod-openapi";
import { writeFailureKind, type WriteState } from "@hookline/db";
import { log } from "@hookline/log";

const apiLog = log.child({ component: "api" });

/** Stable error codes of the REST API; clients branch on these, never on messages. */
export type ApiErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "not_implemented"
  | "unavailable"
  | "database_full"
  | "database_unavailable"
  | "internal";

/** An error meant for the API client: status + stable code + a message naming what was wrong. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    /** Response headers the status calls for, such as `Allow` on a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, "invalid_request", message);
export const notFound = (what: string, id: string) =>
  new ApiError(404, "not_found", `${what} ${id} not found`);
export const conflict = (message: string) => new ApiError(409, "conflict", message);
/**
 * The database cannot write (SPEC §2 data folder): 503, and nothing was changed. Reads go on;
 * the operator frees space (or fixes the disk) and writes work again.
 */
export const databaseCannotWrite = (state: Exclude<WriteState, "ok">) =>
  state === "full"
    ? new ApiError(
        503,
        "database_full",
        "the database is full (no space left on its disk): nothing was changed",
      )
    : new ApiError(
        503,
        "database_unavailable",
        "the database cannot write (a disk error): nothing was changed",
      );

/** `url: Invalid URL; events.0: ...`: each issue prefixed by the path of the field it is about. */
export function formatZodError(error: z.ZodError, target: string): string {
  return error.issues
    .flatMap((issue) => {
      const path = issue.path.map(String).join(".");
      // Bodies are strict objects, so a misspelt field is an error rather than silently ignored.
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => `${path ? `${path}.` : ""}${key}: unknown field`);
      }
      // The whole JSON body is the "json" target; "body: expected object" reads better.
      return [`${path || (target === "json" ? "body" : target)}: ${issue.message}`];
    })
    .join("; ");
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

const codeForStatus = (status: number): ApiErrorCode => {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 501:
      return "not_implemented";
    default:
      return "internal";
  }
};

/** The one place errors become HTTP responses (`app.onError`). */
export function errorResponse(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    // RFC 9110 §10.2.3: tells the client when to try again.
    if (err.status === 503) c.header("Retry-After", "60");
    return c.json<ErrorBody>({ error: { code: err.code, message: err.message } }, err.status, err.headers);
  }
  // A write that failed for want of space (or on a disk error) is the operator's to fix, not a bug
  // (the write health logs it: database-guard.ts).
  const storage = writeFailureKind(err);
  if (storage) return errorResponse(databaseCannotWrite(storage), c);
  if (err instanceof HTTPException) {
    const status = err.status;
    return c.json<ErrorBody>(
      { error: { code: codeForStatus(status), message: err.message || "request failed" } },
      status,
    );
  }
  apiLog.error({ err, method: c.req.method, path: c.req.path }, "unhandled error");
  return c.json<ErrorBody>({ error: { code: "internal", message: "internal error" } }, 500);
}
