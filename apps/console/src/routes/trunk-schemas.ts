import { isIP } from "node:net";
import { z } from "@hono/zod-openapi";

/**
 * Request and response shapes of `/v1/trunks` and `/v1/numbers` (SPEC §3). Passwords are accepted
 * and never returned: a trunk answers `hasPassword` instead.
 */

/** E.164 (ITU-T E.164 §6): `+`, a country code not starting with 0, at most 15 digits in all. */
export const E164 = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s().-]/g, ""))
  .pipe(z.string().regex(/^\+[1-9]\d{1,14}$/, "must be an E.164 number such as +15551234567"));

export const TrunkName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be 1-63 letters, digits, '.', '_' or '-'");

const HostName =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const Host = z
  .string()
  .trim()
  .refine((h) => isIP(h) !== 0 || HostName.test(h), "must be a host name or an IP address");

/** `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`. */
export const SourceAddress = z
  .string()
  .trim()
  .refine((s) => {
    const [ip, bits, extra] = s.split("/");
    if (extra !== undefined || ip === undefined) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    return Number(bits) <= (family === 4 ? 32 : 128);
  }, "must be an IP address or a CIDR such as 203.0.113.0/24");

const Target = z.strictObject({
  host: Host,
  port: z.number().int().min(1).max(65535).optional().openapi({ description: "5060, or 5061 for tls" }),
  transport: z.enum(["udp", "tcp", "tls"]).optional().openapi({ description: "default udp" }),
  priority: z.number().int().min(0).max(1000).optional().openapi({ description: "lower first" }),
});

const Credentials = z.strictObject({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(256).openapi({ description: "Stored sealed; never returned" }),
});

const Outbound = z.strictObject({
  targets: z.array(Target).max(16).optional(),
  credentials: Credentials.nullable().optional(),
});

const Inbound = z.strictObject({
  addresses: z.array(SourceAddress).max(64).optional(),
  credentials: Credentials.nullable().optional(),
});

const NumberFormat = z.strictObject({
  countryCode: z
    .string()
    .regex(/^[1-9]\d{0,2}$/, "must be 1-3 digits")
    .nullable()
    .optional()
    .openapi({ description: "Added to national numbers (inbound)", example: "1" }),
  nationalPrefix: z
    .string()
    .regex(/^\d{1,2}$/, "must be 1-2 digits")
    .nullable()
    .optional()
    .openapi({ description: "Trunk prefix of national numbers, e.g. 0" }),
  techPrefix: z
    .string()
    .regex(/^[0-9#*]{1,10}$/, "must be 1-10 of 0-9 # *")
    .nullable()
    .optional()
    .openapi({ description: "Stripped inbound, prepended outbound" }),
  outboundFormat: z.enum(["e164", "digits", "national"]).optional().openapi({
    description: "e164: +15551234567; digits: 15551234567; national: trunk prefix + national number",
  }),
});

export const Codec = z.enum(["PCMU", "PCMA", "G722", "opus", "telephone-event"]);

const Prefix = z
  .string()
  .trim()
  .regex(/^\+?\d{1,15}$/, "must be digits, optionally after +")
  .transform((p) => (p.startsWith("+") ? p : `+${p}`));

/** Toll-fraud limits of a trunk, or of an account over all its trunks (`PATCH /v1/accounts/:id`). */
export const FraudLimits = z.strictObject({
  allowedPrefixes: z.array(Prefix).max(256).optional(),
  deniedPrefixes: z.array(Prefix).max(256).optional(),
  maxConcurrentCalls: z.number().int().min(1).max(100_000).nullable().optional(),
  callsPerSecond: z.number().positive().max(1000).nullable().optional(),
  dailyOutboundMinutes: z.number().int().min(0).max(10_000_000).nullable().optional(),
});

const CallerId = z.strictObject({
  number: E164.nullable().optional(),
  assertIdentity: z.boolean().optional(),
});

const trunkFields = {
  default: z.boolean().optional().openapi({ description: "Where users dialling a number go" }),
  outbound: Outbound.optional(),
  inbound: Inbound.optional(),
  numberFormat: NumberFormat.optional(),
  codecs: z.array(Codec).min(1).max(5).optional(),
  callerId: CallerId.optional(),
  fraudLimits: FraudLimits.optional(),
};

export const CreateTrunkBody = z.strictObject({ name: TrunkName, ...trunkFields }).openapi("CreateTrunk");
export const UpdateTrunkBody = z
  .strictObject({ name: TrunkName.optional(), ...trunkFields })
  .openapi("UpdateTrunk");
export type TrunkBody = z.infer<typeof UpdateTrunkBody>;

export const FraudLimitsSchema = z
  .object({
    allowedPrefixes: z.array(z.string()),
    deniedPrefixes: z.array(z.string()),
    maxConcurrentCalls: z.number().int().nullable(),
    callsPerSecond: z.number().nullable(),
    dailyOutboundMinutes: z.number().int().nullable(),
  })
  .openapi("FraudLimits");

const HealthState = z.enum(["unknown", "up", "down"]);

export const TrunkHealthSchema = z
  .object({
    state: HealthState.openapi({ description: "down only when every target is down" }),
    targets: z.array(
      z.object({
        host: z.string(),
        port: z.number().int(),
        transport: z.enum(["udp", "tcp", "tls"]),
        state: HealthState,
        since: z.string().nullable(),
        lastError: z.string().nullable(),
      }),
    ),
  })
  .openapi("TrunkHealth");

export const TrunkSchema = z
  .object({
    id: z.string().openapi({ example: "trk_0123456789abcdefghjk" }),
    name: z.string().openapi({ example: "carrier-a" }),
    default: z.boolean(),
    outbound: z.object({
      targets: z.array(
        z.object({
          host: z.string(),
          port: z.number().int(),
          transport: z.enum(["udp", "tcp", "tls"]),
          priority: z.number().int(),
        }),
      ),
      username: z.string().nullable(),
      hasPassword: z.boolean(),
    }),
    inbound: z.object({
      addresses: z.array(z.string()),
      username: z.string().nullable(),
      hasPassword: z.boolean(),
    }),
    numberFormat: z.object({
      countryCode: z.string().nullable(),
      nationalPrefix: z.string().nullable(),
      techPrefix: z.string().nullable(),
      outboundFormat: z.enum(["e164", "digits", "national"]),
    }),
    codecs: z.array(z.string()),
    callerId: z.object({ number: z.string().nullable(), assertIdentity: z.boolean() }),
    fraudLimits: FraudLimitsSchema,
    health: TrunkHealthSchema.nullable().openapi({
      description: "OPTIONS pings to each outbound target; null when no gateway runs in this process",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Trunk");

export const CreateNumberBody = z
  .strictObject({
    number: E164.openapi({ example: "+15551234567" }),
    trunk: z.string().min(1).max(64).optional().openapi({ description: "Trunk name or id" }),
    domain: z.string().min(1).max(253).optional().openapi({ description: "Domain name or id" }),
    user: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9\-_.!~*'()&=+$,;?/]+$/, "must use only SIP user characters")
      .optional()
      .openapi({ description: "A user of the domain; calls ring it when the domain has no application" }),
  })
  .openapi("CreateNumber");

export const NumberSchema = z
  .object({
    id: z.string().openapi({ example: "num_0123456789abcdefghjk" }),
    number: z.string().openapi({ example: "+15551234567" }),
    trunk: z.string().nullable(),
    trunkId: z.string().nullable(),
    domain: z.string().nullable(),
    domainId: z.string().nullable(),
    user: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("PhoneNumber");
