import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import type { Store } from "@hookline/db";
import type { Allowlist } from "@hookline/callbacks";
import { ApiError, formatZodError } from "./errors.js";

export interface ConsoleConfig {
  /** Guards account management (`/v1/accounts`); see ensureOperatorToken() in @hookline/auth-tokens. */
  operatorToken: string;
  /** HS256 key for account tokens (`POST /v1/tokens`); see ensureTokenSecret() in @hookline/auth-tokens. */
  tokenSecret: string | Uint8Array;
  /** HOOKLINE_CALLBACK_ALLOWLIST: hosts, host:ports or CIDRs exempt from the SSRF rules. */
  callbackAllowlist?: string | readonly string[];
  /** The gateway's SIP-over-WebSocket port, the softphone page's default. Default 5066. */
  sipWsPort?: number;
  /** Upper bound for `ttl` of `POST /v1/tokens`, seconds. Default 86400. */
  maxTokenTtlSeconds?: number;
}

export interface RouteDeps {
  /** The database on either dialect (SPEC §2, `HOOKLINE_DATABASE_URL`); every query is awaited. */
  store: Store;
  config: ConsoleConfig;
  allowlist: Allowlist;
  now: () => number;
  /** Writes the gateway's queued call records, so reads of calls see everything so far. */
  flushCallRecords: () => void | Promise<void>;
  /** A trunk's OPTIONS health, from the gateway's monitor; absent when no gateway runs here. */
  trunkHealth?: ((trunkId: string) => TrunkHealthView) | undefined;
}

type HealthState = "unknown" | "up" | "down";

/** SPEC §3 trunks: health as `GET /v1/trunks/:id` shows it. */
export interface TrunkHealthView {
  state: HealthState;
  targets: Array<{
    host: string;
    port: number;
    transport: "udp" | "tcp" | "tls";
    state: HealthState;
    since: string | null;
    lastError: string | null;
  }>;
}

/** Set by the auth middleware for account-key routes. */
export type AppEnv = { Variables: { accountId: string } };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) {
    throw new ApiError(400, "invalid_request", formatZodError(result.error, result.target));
  }
};

/** Every router validates through the same hook, so every 400 reads the same way. */
export const newRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string().openapi({ example: "url: Invalid URL" }),
    }),
  })
  .openapi("Error");

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The error responses every authenticated route can give. */
export const errors = {
  400: errorResponse("Invalid request; the message names the field"),
  401: errorResponse("Missing or invalid bearer token"),
  404: errorResponse("Not found (or belongs to another account)"),
} as const;

export const conflictResponse = { 409: errorResponse("Duplicate") } as const;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
