import { afterAll, describe, expect, it } from "vitest";
import { parseAllowlist } from "@hookline/callbacks";
import { signAccountToken } from "@hookline/auth-tokens";
import { callbacks, eq, sqliteStore } from "@hookline/db";
import { createRequest } from "@hookline/sip-core";
import { CallRecorder } from "../b2bua/call-recorder.js";
import { addTenant, tempDatabase } from "../registrar/test-support.js";
import { registerSipCallback } from "./sip-callback-header.js";

const SECRET = "test-token-secret-of-enough-length";
const allow = parseAllowlist("127.0.0.1");
if (!allow.ok) throw new Error(allow.error);

function invite(headers: [string, string][]) {
  return createRequest({ method: "INVITE", uri: "sip:bob@acme.test", headers });
}

describe("X-Hookline-Callback in an INVITE (SPEC §4)", () => {
  const temp = tempDatabase();
  const store = sqliteStore(temp.database.db);
  afterAll(() => temp.close());

  it("registers a verified callback for that call only, even while the call's own row is still queued", async () => {
    const tenant = addTenant(temp.database, "acme.test", { alice: "pw" });
    const recorder = new CallRecorder(temp.database.db, undefined);
    const call = recorder.createCall({
      accountId: tenant.accountId,
      domainId: tenant.domainId,
      sipCallId: "c1",
      from: "sip:alice@acme.test",
      to: "sip:bob@acme.test",
    });
    const { token } = await signAccountToken(SECRET, { accountId: tenant.accountId, ttlSeconds: 60 });
    const outcome = await registerSipCallback(
      {
        store,
        tokenSecret: SECRET,
        allowlist: allow.allowlist,
        beforeRegister: () => recorder.flush(),
      },
      { id: call.id, accountId: tenant.accountId },
      invite([
        ["X-Hookline-Callback", '<http://127.0.0.1:9/hook>;events="sip.BYE"'],
        ["X-Hookline-Token", token],
      ]),
    );
    expect(outcome).toMatchObject({ registered: expect.any(String) });
    const rows = temp.database.db.select().from(callbacks).where(eq(callbacks.callId, call.id)).all();
    expect(rows.map((r) => [r.url, r.events, r.source])).toEqual([
      ["http://127.0.0.1:9/hook", ["sip.BYE"], "sip"],
    ]);
  });

  it("refuses a token of another account and one without the header's host", async () => {
    const a = addTenant(temp.database, "a.test", { u: "pw" });
    const b = addTenant(temp.database, "b.test", { u: "pw" });
    const recorder = new CallRecorder(temp.database.db, undefined);
    const call = recorder.createCall({
      accountId: a.accountId,
      domainId: a.domainId,
      sipCallId: "c2",
      from: "sip:u@a.test",
      to: "sip:v@a.test",
    });
    const opts = {
      store,
      tokenSecret: SECRET,
      allowlist: allow.allowlist,
      beforeRegister: () => recorder.flush(),
    };
    const other = await signAccountToken(SECRET, { accountId: b.accountId, ttlSeconds: 60 });
    const narrow = await signAccountToken(SECRET, {
      accountId: a.accountId,
      ttlSeconds: 60,
      callbackHosts: ["hooks.example"],
    });
    const header: [string, string] = ["X-Hookline-Callback", '<http://127.0.0.1:9/hook>;events="sip.BYE"'];
    for (const [token, refused] of [
      [other.token, "X-Hookline-Token belongs to another account"],
      [narrow.token, "X-Hookline-Token does not allow callbacks to 127.0.0.1:9"],
    ]) {
      expect(
        await registerSipCallback(
          opts,
          { id: call.id, accountId: a.accountId },
          invite([header, ["X-Hookline-Token", token!]]),
        ),
      ).toEqual({ refused });
    }
    expect(temp.database.db.select().from(callbacks).where(eq(callbacks.callId, call.id)).all()).toEqual([]);
  });

  it("compares the token's hosts and the URL's in one spelling, and refuses a URL that does not parse", async () => {
    const t = addTenant(temp.database, "c.test", { u: "pw" });
    const recorder = new CallRecorder(temp.database.db, undefined);
    const call = recorder.createCall({
      accountId: t.accountId,
      domainId: t.domainId,
      sipCallId: "c3",
      from: "sip:u@c.test",
      to: "sip:v@c.test",
    });
    const local = parseAllowlist("localhost");
    if (!local.ok) throw new Error(local.error);
    const opts = {
      store,
      tokenSecret: SECRET,
      allowlist: local.allowlist,
      beforeRegister: () => recorder.flush(),
    };
    const { token } = await signAccountToken(SECRET, {
      accountId: t.accountId,
      ttlSeconds: 60,
      callbackHosts: ["Localhost.:9"],
    });
    const send = (url: string) =>
      registerSipCallback(
        opts,
        { id: call.id, accountId: t.accountId },
        invite([
          ["X-Hookline-Callback", `<${url}>;events="sip.BYE"`],
          ["X-Hookline-Token", token],
        ]),
      );
    expect(await send("http://LOCALHOST:9/a")).toMatchObject({ registered: expect.any(String) });
    expect(await send("http://localhost.:9/b")).toMatchObject({ registered: expect.any(String) });
    expect(await send("http://localhost:10/c")).toEqual({
      refused: "X-Hookline-Token does not allow callbacks to localhost:10",
    });
    // Regression: this threw out of registerSipCallback instead of being refused.
    expect(await send("not a url")).toEqual({ refused: "url: is not a valid absolute URL" });
    const rows = temp.database.db.select().from(callbacks).where(eq(callbacks.callId, call.id)).all();
    expect(rows.map((r) => r.url).sort()).toEqual(["http://localhost.:9/b", "http://localhost:9/a"]);
  });
});
