import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./errors.js";

/** The largest request body the API reads. Its biggest legitimate body is a few KiB of JSON. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Refuses a larger body with 413 before it is read: by `Content-Length` when the request has one,
 * otherwise (chunked, RFC 9112 §7.1) by counting while reading and stopping at the limit, so at
 * most `maxBytes` of a body are ever held in memory.
 */
export function limitBody(maxBytes = MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `request body is larger than ${maxBytes} bytes`);
    },
  });
}
