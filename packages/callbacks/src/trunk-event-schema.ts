/**
 * `trunk.up` / `trunk.down` (SPEC §4) as a zod schema, for the console's OpenAPI `webhooks`: the
 * document then shows what the gateway's `TrunkEvent` type says, and the test beside this file
 * keeps the two in step.
 */
import { z } from "zod";
import { TRUNK_EVENT_TYPES } from "./event-names.js";

export const TrunkEventSchema = z.object({
  type: z.enum(TRUNK_EVENT_TYPES),
  timestamp: z.string().describe("ISO 8601 time the state changed"),
  data: z.object({
    accountId: z.string(),
    trunk: z.object({
      id: z.string(),
      name: z.string(),
      target: z.object({
        host: z.string(),
        port: z.number().int(),
        transport: z.enum(["udp", "tcp", "tls"]),
      }),
      state: z.enum(["up", "down"]),
      since: z.string().describe("ISO 8601 time the target entered this state"),
      lastError: z
        .string()
        .nullable()
        .describe("What the last failed OPTIONS ping got: timeout, a 503, a transport error"),
    }),
  }),
});
