import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkCallbackFields, createCallback } from "./create-callback.js";
import { parseAllowlist } from "./ssrf.js";
import type { TestDb } from "./test-support.js";
import { seedAccount, seedCall, tempDb } from "./test-support.js";

let t: TestDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.cleanup());

describe("createCallback", () => {
  it("stores a per-call callback with a fresh whsec_ secret", () => {
    const acc = seedAccount(t.db);
    seedCall(t.db, acc, "call_x");
    const r = createCallback(t.db, {
      source: "sip",
      accountId: acc,
      callId: "call_x",
      url: "https://app.example/hook",
      events: ["sip.BYE", "sip.INFO"],
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.callback).toMatchObject({ callId: "call_x", source: "sip", events: ["sip.BYE", "sip.INFO"] });
      expect(r.callback.secret).toMatch(/^whsec_/);
    }
  });

  it("names the bad field", () => {
    const base = {
      source: "sip" as const,
      accountId: "acc_x",
      callId: "call_x",
      url: "https://a.example/",
      events: ["sip.BYE"],
    };
    expect(createCallback(t.db, { ...base, url: "http://10.0.0.1/" })).toMatchObject({
      ok: false,
      field: "url",
    });
    expect(createCallback(t.db, { ...base, events: ["nope"] })).toMatchObject({
      ok: false,
      field: "events",
    });
    expect(createCallback(t.db, { ...base, filter: "x ==" })).toMatchObject({
      ok: false,
      field: "filter",
    });
    expect(createCallback(t.db, { ...base, accountId: seedAccount(t.db) })).toMatchObject({
      ok: false,
      field: "callId",
    });
    const allow = parseAllowlist("10.0.0.0/8");
    if (!allow.ok) throw new Error(allow.error);
    const acc = seedAccount(t.db);
    seedCall(t.db, acc, "call_y");
    expect(
      createCallback(t.db, {
        ...base,
        accountId: acc,
        callId: "call_y",
        url: "http://10.0.0.1/",
        allowlist: allow.allowlist,
      }).ok,
    ).toBe(true);
  });

  it("stores the URL in one normalised form, account-wide and per call alike", () => {
    const acc = seedAccount(t.db);
    seedCall(t.db, acc, "call_n");
    const stored = [null, "call_n"].map((callId) => {
      const r = createCallback(t.db, {
        source: callId === null ? "api" : "sip",
        accountId: acc,
        callId,
        url: "HTTPS://Hooks.EXAMPLE.com:443/a/../hook?x=1",
        events: ["sip.BYE"],
        now: 1_000,
      });
      if (!r.ok) throw new Error(r.error);
      return [r.callback.url, r.callback.createdAt, r.callback.secret.length];
    });
    expect(stored).toEqual([
      ["https://hooks.example.com/hook?x=1", 1_000, 38],
      ["https://hooks.example.com/hook?x=1", 1_000, 38],
    ]);
  });

  it("names the field without repeating it in the message", () => {
    expect(checkCallbackFields({ url: "http://localhost./" }, undefined)).toEqual({
      ok: false,
      field: "url",
      error: 'host "localhost" is a local name',
    });
    expect(checkCallbackFields({ filter: "x ==" }, undefined)).toMatchObject({
      ok: false,
      field: "filter",
      error: expect.stringMatching(/^(does not compile|uses unknown variable)/),
    });
    expect(checkCallbackFields({}, undefined)).toEqual({ ok: true, url: undefined });
  });
});
