import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { harness, type Harness } from "../test-helpers.js";
import type { StartCallBody, StartCallPort } from "./start-call.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  afterEach(() => h.close());

  /** The gateway's side of the port: records each body and answers as told. */
  function gateway(
    answer: ReturnType<StartCallPort> = { ok: true, id: "call_1", from: "sip:a@b", to: "tel:+1" },
  ) {
    const bodies: StartCallBody[] = [];
    const port: StartCallPort = (_accountId, body) => {
      bodies.push(body);
      return answer;
    };
    return { bodies, port };
  }

  const hangup = [{ action: "hangup" }];

  describe("POST /v1/calls to a phone number (SPEC §5, SPEC §3 trunks)", () => {
    it("hands a {number, trunk} first party to the gateway, trimmed, and answers with the call", async () => {
      const g = gateway({ ok: true, id: "call_7", from: "sip:sales@a.test", to: "tel:+442079460018" });
      h = await harness(dialect, {}, { startCall: g.port });
      const { apiKey } = await h.newAccount();
      const r = await h.call("POST", "/v1/calls", apiKey, {
        to: { number: " 020 7946 0018 ", trunk: "carrier-uk" },
        from: "sales",
        actions: hangup,
      });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        id: "call_7",
        state: "initiated",
        from: "sip:sales@a.test",
        to: "tel:+442079460018",
      });
      expect(g.bodies[0]!.to).toEqual({ number: "020 7946 0018", trunk: "carrier-uk" });
    });

    it("refuses what is no phone number, and unknown fields, naming `to` before the gateway hears of it", async () => {
      const g = gateway();
      h = await harness(dialect, {}, { startCall: g.port });
      const { apiKey } = await h.newAccount();
      for (const to of [{ number: "bob" }, { number: "12" }, { number: "+15551234567", carrier: "x" }, {}]) {
        const r = await h.call("POST", "/v1/calls", apiKey, { to, actions: hangup });
        expect(r.status, JSON.stringify(to)).toBe(400);
        expect(r.body.error.message, JSON.stringify(to)).toMatch(/\bto\b/);
      }
      expect(g.bodies).toEqual([]);
    });

    it("passes the gateway's 404 (no such trunk) and 400 (no E.164 under the trunk's rules) on", async () => {
      h = await harness(
        dialect,
        {},
        {
          startCall: (_a, body) =>
            typeof body.to !== "string" && body.to.trunk
              ? { ok: false, status: 404, message: `to.trunk: no trunk named ${body.to.trunk}` }
              : { ok: false, status: 400, message: "to.number: 0044 is not a number" },
        },
      );
      const { apiKey } = await h.newAccount();
      const missing = await h.call("POST", "/v1/calls", apiKey, {
        to: { number: "+15551234567", trunk: "nope" },
        actions: hangup,
      });
      expect(missing.status).toBe(404);
      expect(missing.body.error).toEqual({ code: "not_found", message: "to.trunk: no trunk named nope" });
      const bad = await h.call("POST", "/v1/calls", apiKey, { to: { number: "0044" }, actions: hangup });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toEqual({ code: "invalid_request", message: "to.number: 0044 is not a number" });
    });

    it("documents `to` as a user or URI, or a NumberParty", async () => {
      h = await harness(dialect);
      const { schemas } = (await h.call("GET", "/v1/openapi.json", null)).body.components;
      expect(schemas.StartCall.properties.to.anyOf).toEqual(
        expect.arrayContaining([{ $ref: "#/components/schemas/NumberParty" }]),
      );
      expect(Object.keys(schemas.NumberParty.properties).sort()).toEqual(["number", "trunk"]);
      expect(schemas.NumberParty.required).toEqual(["number"]);
    });
  });
});

afterAll(stopPostgres, 60_000);
