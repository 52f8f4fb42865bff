import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerCallCallback } from "./register-call-callback.js";
import { parseAllowlist } from "./ssrf.js";
import type { TestDb } from "./test-support.js";
import { seedAccount, seedCall, tempDb } from "./test-support.js";

let t: TestDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.cleanup());

describe("registerCallCallback", () => {
  it("stores a per-call callback with a fresh whsec_ secret", () => {
    const acc = seedAccount(t.db);
    seedCall(t.db, acc, "call_x");
    const r = registerCallCallback(t.db, {
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
    const base = { accountId: "acc_x", callId: "call_x", url: "https://a.example/", events: ["sip.BYE"] };
    expect(registerCallCallback(t.db, { ...base, url: "http://10.0.0.1/" })).toMatchObject({
      ok: false,
      field: "url",
    });
    expect(registerCallCallback(t.db, { ...base, events: ["nope"] })).toMatchObject({
      ok: false,
      field: "events",
    });
    expect(registerCallCallback(t.db, { ...base, filter: "x ==" })).toMatchObject({
      ok: false,
      field: "filter",
    });
    expect(registerCallCallback(t.db, { ...base, accountId: seedAccount(t.db) })).toMatchObject({
      ok: false,
      field: "callId",
    });
    const allow = parseAllowlist("10.0.0.0/8");
    if (!allow.ok) throw new Error(allow.error);
    const acc = seedAccount(t.db);
    seedCall(t.db, acc, "call_y");
    expect(
      registerCallCallback(t.db, {
        ...base,
        accountId: acc,
        callId: "call_y",
        url: "http://10.0.0.1/",
        allowlist: allow.allowlist,
      }).ok,
    ).toBe(true);
  });
});
