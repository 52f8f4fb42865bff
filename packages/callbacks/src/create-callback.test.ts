import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq, type Store } from "@hookline/db";
import { DIALECTS, openTestStore, stopPostgres, type TestStore } from "@hookline/db/testing/stores";
import { checkCallbackFields, createCallback } from "./create-callback.js";
import { parseAllowlist } from "./ssrf.js";
import { seedAccount, seedCall } from "./testing/dialects.js";

afterAll(() => stopPostgres(), 60_000);

const callbacksOf = async (store: Store, accountId: string) =>
  store.db.select().from(store.t.callbacks).where(eq(store.t.callbacks.accountId, accountId));

describe.each(DIALECTS)("createCallback on %s", (dialect) => {
  let opened: TestStore | undefined;
  let store: Store;
  beforeEach(async () => {
    opened = await openTestStore(dialect);
    store = opened.store;
  });
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });

  it("stores a per-call callback with a fresh whsec_ secret", async () => {
    const acc = await seedAccount(store);
    await seedCall(store, acc, "call_x");
    const r = await createCallback(store, {
      source: "sip",
      accountId: acc,
      callId: "call_x",
      url: "https://app.example/hook",
      events: ["sip.BYE", "sip.INFO"],
    });
    if (!r.ok) throw new Error(r.error);
    expect(r.callback).toMatchObject({ callId: "call_x", source: "sip", events: ["sip.BYE", "sip.INFO"] });
    expect(r.callback.secret).toMatch(/^whsec_/);
    expect(await callbacksOf(store, acc)).toEqual([r.callback]);
  });

  it("names the bad field", async () => {
    const base = {
      source: "sip" as const,
      accountId: "acc_x",
      callId: "call_x",
      url: "https://a.example/",
      events: ["sip.BYE"],
    };
    expect(await createCallback(store, { ...base, url: "http://10.0.0.1/" })).toMatchObject({
      ok: false,
      field: "url",
    });
    expect(await createCallback(store, { ...base, events: ["nope"] })).toMatchObject({
      ok: false,
      field: "events",
    });
    expect(await createCallback(store, { ...base, filter: "x ==" })).toMatchObject({
      ok: false,
      field: "filter",
    });
    const allow = parseAllowlist("10.0.0.0/8");
    if (!allow.ok) throw new Error(allow.error);
    const acc = await seedAccount(store);
    await seedCall(store, acc, "call_y");
    expect(
      (
        await createCallback(store, {
          ...base,
          accountId: acc,
          callId: "call_y",
          url: "http://10.0.0.1/",
          allowlist: allow.allowlist,
        })
      ).ok,
    ).toBe(true);
  });

  it("refuses a callback for a call that does not exist (the foreign key) and writes nothing", async () => {
    const acc = await seedAccount(store);
    await seedCall(store, acc, "call_real");
    const r = await createCallback(store, {
      source: "sip",
      accountId: acc,
      callId: "call_missing",
      url: "https://a.example/",
      events: ["sip.BYE"],
    });
    expect(r).toEqual({
      ok: false,
      field: "callId",
      error: `call call_missing of account ${acc} does not exist`,
    });
    expect(await callbacksOf(store, acc)).toEqual([]);
  });

  it("throws the errors that are not a missing call", async () => {
    const acc = await seedAccount(store);
    const closing = opened;
    opened = undefined;
    await closing?.cleanup();
    await expect(
      createCallback(store, {
        source: "api",
        accountId: acc,
        callId: null,
        url: "https://a.example/",
        events: ["sip.BYE"],
      }),
    ).rejects.toThrow();
  });

  it("stores the URL in one normalised form, account-wide and per call alike", async () => {
    const acc = await seedAccount(store);
    await seedCall(store, acc, "call_n");
    const stored = [];
    for (const callId of [null, "call_n"]) {
      const r = await createCallback(store, {
        source: callId === null ? "api" : "sip",
        accountId: acc,
        callId,
        url: "HTTPS://Hooks.EXAMPLE.com:443/a/../hook?x=1",
        events: ["sip.BYE"],
        now: 1_000,
      });
      if (!r.ok) throw new Error(r.error);
      stored.push([r.callback.url, r.callback.createdAt, r.callback.secret.length]);
    }
    expect(stored).toEqual([
      ["https://hooks.example.com/hook?x=1", 1_000, 38],
      ["https://hooks.example.com/hook?x=1", 1_000, 38],
    ]);
    expect((await callbacksOf(store, acc)).map((c) => c.url)).toEqual([
      "https://hooks.example.com/hook?x=1",
      "https://hooks.example.com/hook?x=1",
    ]);
  });
});

describe("checkCallbackFields", () => {
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
