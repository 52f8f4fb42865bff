import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { TrunkEvent } from "./events.js";
import { TrunkEventSchema } from "./trunk-event-schema.js";

describe("TrunkEventSchema", () => {
  it("is the TrunkEvent type: one parses as the other, both ways", () => {
    expectTypeOf<z.infer<typeof TrunkEventSchema>>().toEqualTypeOf<TrunkEvent>();
    const event: TrunkEvent = {
      type: "trunk.up",
      timestamp: "2026-12-05T10:00:00.000Z",
      data: {
        accountId: "acc_1",
        trunk: {
          id: "trk_1",
          name: "carrier-a",
          target: { host: "sip.carrier.example", port: 5060, transport: "udp" },
          state: "up",
          since: "2026-12-05T10:00:00.000Z",
          lastError: null,
        },
      },
    };
    expect(TrunkEventSchema.parse(event)).toEqual(event);
    expect(TrunkEventSchema.safeParse({ ...event, type: "trunk.degraded" }).success).toBe(false);
  });
});
