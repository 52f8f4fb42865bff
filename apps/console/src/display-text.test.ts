import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { newId } from "@hookline/db";
import { displayTextProblem } from "./display-text.js";
import { harness, OPERATOR } from "./test-helpers.js";
import type { Harness } from "./test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(dialect);
  });
  afterEach(() => h.close());

  const BAD: [string, string][] = [
    ["NUL", "Acme\u0000Corp"],
    ["newline", "Acme\nCorp"],
    ["escape", "Acme\u001b[31m"],
    ["DEL", "Acme\u007f"],
    ["C1", "Acme\u0085"],
    ["right-to-left override", "invoice\u202Etxt.exe"],
    ["isolate", "\u2067Acme\u2069"],
    ["line separator", "Acme\u2028Corp"],
    ["lone surrogate", "Acme\ud800"],
  ];
  const GOOD = ["Zürich GmbH", "株式会社アクメ", "شركة أكمي", "👩‍💻 Dev team", "O'Brien & Sons (EU)"];

  describe("display names refuse NUL, controls and bidi overrides (SPEC §3: 400 naming the field)", () => {
    it("names the code point and where it is", () => {
      expect(displayTextProblem("invoice\u202Etxt")).toBe(
        "must not contain control characters or bidirectional overrides (U+202E at index 7)",
      );
      for (const ok of GOOD) expect(displayTextProblem(ok)).toBeNull();
    });

    it("POST /v1/accounts refuses such a name and stores nothing", async () => {
      for (const [what, name] of BAD) {
        const r = await h.call("POST", "/v1/accounts", OPERATOR, { name });
        expect({ what, status: r.status, code: r.body.error.code }).toEqual({
          what,
          status: 400,
          code: "invalid_request",
        });
        expect(r.body.error.message).toMatch(/^name: must not contain control characters/);
      }
      expect(await h.store.db.select().from(h.store.t.accounts)).toEqual([]);
      for (const name of GOOD)
        expect((await h.call("POST", "/v1/accounts", OPERATOR, { name })).status).toBe(201);
    });

    it("callback descriptions: create, update and per-call create refuse them", async () => {
      const { id: accountId, apiKey } = await h.newAccount();
      const base = { url: "https://hooks.example.com/sip", events: ["sip.BYE"] };
      const created = await h.call("POST", "/v1/callbacks", apiKey, { ...base, description: "ok" });
      expect(created.status).toBe(201);
      const callId = newId("call");
      await h.store.db.insert(h.store.t.calls).values({
        id: callId,
        accountId,
        sipCallId: "c@test",
        from: "sip:a@x.example",
        to: "sip:b@x.example",
        state: "answered",
        startedAt: 1,
      });

      for (const [what, description] of BAD) {
        const attempts = [
          await h.call("POST", "/v1/callbacks", apiKey, { ...base, description }),
          await h.call("PATCH", `/v1/callbacks/${created.body.id}`, apiKey, { description }),
          await h.call("POST", `/v1/calls/${callId}/callbacks`, apiKey, { ...base, description }),
        ];
        for (const r of attempts) {
          expect({ what, status: r.status }).toEqual({ what, status: 400 });
          expect(r.body.error.message).toMatch(/^description: must not contain control characters/);
        }
      }
      const rows = await h.store.db.select().from(h.store.t.callbacks);
      expect(rows.map((r) => r.description)).toEqual(["ok"]);
      const good = await h.call("PATCH", `/v1/callbacks/${created.body.id}`, apiKey, {
        description: GOOD[3],
      });
      expect(good.body.description).toBe(GOOD[3]);
    });
  });
});

afterAll(stopPostgres, 60_000);
