import { registrations } from "@hookline/db";
import { getContacts, getHeader, getHeaders } from "@hookline/sip-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  addTenant,
  answer,
  clock,
  createRegistrar,
  DOMAIN,
  register,
  registerWithAuth,
  tempDatabase,
  udp,
} from "./test-support.js";
import type { Clock, Tenant } from "./test-support.js";

let temp: ReturnType<typeof tempDatabase>;
let time: Clock;
let tenant: Tenant;
let r: ReturnType<typeof createRegistrar>;

beforeEach(() => {
  temp = tempDatabase();
  time = clock();
  tenant = addTenant(temp.database, DOMAIN, { alice: "secret", bob: "hunter2" });
  addTenant(temp.database, "other.example", { carol: "pw" });
  r = createRegistrar(temp.database, time);
});
afterEach(async () => {
  // As the server does: what is queued is committed before the database closes.
  await r.locations.stop();
  temp.close();
});

const rows = () => temp.database.db.select().from(registrations).all();

describe("RFC 3261 §10.3 with digest authentication (§22.1, RFC 8760)", () => {
  it("challenges with SHA-256 before MD5, then binds the contact: 401 then 200", async () => {
    const flow = udp();
    const challenge = await r.registrar.handle(register({ callId: "c1" }), flow);
    expect(challenge.status).toBe(401);
    const offers = getHeaders(challenge, "www-authenticate");
    expect(offers).toHaveLength(2);
    expect(offers[0]).toMatch(/realm="acme\.sip\.example".*algorithm=SHA-256.*qop="auth"/);
    expect(offers[1]).toMatch(/algorithm=MD5/);
    expect(r.events).toEqual([]);

    const authorization = answer(challenge, { password: "secret" });
    expect(authorization).toContain("algorithm=SHA-256");
    const ok = await r.registrar.handle(register({ callId: "c1", cseq: 2, authorization }), flow);
    expect(ok.status).toBe(200);
    expect(getHeaders(ok, "contact")).toEqual(["<sip:alice@127.0.0.1:5070>;expires=3600"]);
    expect(getHeader(ok, "date")).toBe("Thu, 01 Jan 2026 00:00:00 GMT");
    expect(r.events.map((e) => e.type)).toEqual(["registration.created"]);
    expect(r.events[0]?.data).toEqual({
      accountId: tenant.accountId,
      registration: {
        aor: `sip:alice@${DOMAIN}`,
        contact: "sip:alice@127.0.0.1:5070",
        transport: "udp",
        source: "127.0.0.1:5070",
        expiresAt: "2026-01-01T01:00:00.000Z",
      },
    });
    expect(rows()).toMatchObject([
      { aor: `sip:alice@${DOMAIN}`, contact: "sip:alice@127.0.0.1:5070", sipCallId: "c1", cseq: 2 },
    ]);
    expect(r.locations.lookup(DOMAIN, "alice").map((b) => b.flow)).toEqual([
      { transport: "udp", remoteAddress: "127.0.0.1", remotePort: 5070 },
    ]);
  });

  it("accepts an MD5 answer too", async () => {
    const challenge = await r.registrar.handle(register({ callId: "md5" }), udp());
    const authorization = answer(challenge, { password: "secret", md5: true });
    expect(authorization).toContain("algorithm=MD5");
    const ok = await r.registrar.handle(register({ callId: "md5", cseq: 2, authorization }), udp());
    expect(ok.status).toBe(200);
  });

  it("answers a wrong password with 403 and binds nothing", async () => {
    const res = await registerWithAuth(r.registrar, udp(), { password: "wrong" });
    expect(res.status).toBe(403);
    expect(rows()).toEqual([]);
  });

  it("refuses to let a user register another user's AOR (403)", async () => {
    const challenge = await r.registrar.handle(register({ toUser: "bob" }), udp());
    expect(challenge.status).toBe(401);
    const authorization = answer(challenge, { user: "alice", password: "secret" });
    const res = await r.registrar.handle(register({ toUser: "bob", cseq: 2, authorization }), udp());
    expect(res.status).toBe(403);
    expect(r.locations.lookup(DOMAIN, "bob")).toEqual([]);
  });

  it("answers 404 for an unknown domain, without a challenge", async () => {
    const res = await r.registrar.handle(register({ domain: "nowhere.example" }), udp());
    expect(res.status).toBe(404);
    expect(getHeaders(res, "www-authenticate")).toEqual([]);
  });

  it("answers 404 when To names another domain than the Request-URI", async () => {
    const req = register();
    req.uri = "sip:other.example";
    expect((await r.registrar.handle(req, udp())).status).toBe(404);
  });

  it("answers 423 with Min-Expires below 60 s and shortens registrations above 3600 s", async () => {
    const brief = await registerWithAuth(r.registrar, udp(), { password: "secret", expires: 30 });
    expect(brief.status).toBe(423);
    expect(getHeader(brief, "min-expires")).toBe("60");
    const long = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      contacts: ["<sip:alice@127.0.0.1:5070>;expires=7200"],
    });
    expect(long.status).toBe(200);
    expect(getContacts(long)[0]?.expires).toBe(3600);
  });

  it("keeps several contacts per AOR and lists them all in the 200", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret", contacts: ["<sip:a@127.0.0.1:5070>"] });
    const res = await registerWithAuth(r.registrar, udp("127.0.0.1", 5072), {
      password: "secret",
      contacts: ["<sip:a@127.0.0.1:5072>", "<sip:b@127.0.0.1:5072>;expires=120"],
    });
    expect(res.status).toBe(200);
    expect(getContacts(res).map((c) => [c.uri, c.expires])).toEqual(
      expect.arrayContaining([
        ["sip:a@127.0.0.1:5070", 3600],
        ["sip:a@127.0.0.1:5072", 3600],
        ["sip:b@127.0.0.1:5072", 120],
      ]),
    );
    expect(r.locations.lookup(DOMAIN, "alice")).toHaveLength(3);
  });

  it("answers a query (no Contact) with the current bindings and changes nothing", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret", expires: 600 });
    time.advance(100_000);
    r.events.length = 0;
    const res = await registerWithAuth(r.registrar, udp(), { password: "secret", contacts: [] });
    expect(res.status).toBe(200);
    expect(getHeaders(res, "contact")).toEqual(["<sip:alice@127.0.0.1:5070>;expires=500"]);
    expect(r.events).toEqual([]);
  });

  it("removes every binding with Contact: * and Expires: 0", async () => {
    await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      contacts: ["<sip:a@127.0.0.1:5070>", "<sip:b@127.0.0.1:5070>"],
    });
    r.events.length = 0;
    const res = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      contacts: ["*"],
      expires: 0,
    });
    expect(res.status).toBe(200);
    expect(getHeaders(res, "contact")).toEqual([]);
    expect(r.events.map((e) => e.type)).toEqual(["registration.removed", "registration.removed"]);
    expect(rows()).toEqual([]);
  });

  it("answers 400 to Contact: * with another contact or a non-zero Expires", async () => {
    const mixed = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      contacts: ["*", "<sip:a@127.0.0.1>"],
      expires: 0,
    });
    expect(mixed.status).toBe(400);
    const nonZero = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      contacts: ["*"],
      expires: 60,
    });
    expect(nonZero.status).toBe(400);
  });

  it("removes one binding with Expires: 0", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret", callId: "one" });
    const res = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      callId: "one",
      cseq: 5,
      expires: 0,
    });
    expect(res.status).toBe(200);
    expect(r.locations.lookup(DOMAIN, "alice")).toEqual([]);
    expect(r.events.map((e) => e.type)).toEqual(["registration.created", "registration.removed"]);
  });

  it("refreshes with the same Call-ID and a higher CSeq; a lower CSeq is 500 (§10.3 step 7)", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret", callId: "ref", cseq: 10 });
    const first = r.locations.lookup(DOMAIN, "alice")[0];
    time.advance(60_000);
    const refresh = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      callId: "ref",
      cseq: 20,
    });
    expect(refresh.status).toBe(200);
    const after = r.locations.lookup(DOMAIN, "alice");
    expect(after).toHaveLength(1);
    expect(after[0]?.id).toBe(first?.id);
    expect(after[0]?.expiresAt).toBe(time.t + 3_600_000);
    expect(r.events.map((e) => e.type)).toEqual(["registration.created", "registration.refreshed"]);

    const stale = await registerWithAuth(r.registrar, udp(), { password: "secret", callId: "ref", cseq: 3 });
    expect(stale.status).toBe(500);
    expect(r.locations.lookup(DOMAIN, "alice")[0]?.cseq).toBe(21);
  });

  it("expires bindings in the sweep and publishes registration.expired", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret", expires: 60 });
    time.advance(59_000);
    expect(r.locations.sweep()).toBe(0);
    time.advance(1_000);
    expect(r.locations.lookup(DOMAIN, "alice")).toEqual([]);
    expect(r.locations.sweep()).toBe(1);
    expect(r.events.map((e) => e.type)).toEqual(["registration.created", "registration.expired"]);
    expect(rows()).toEqual([]);
  });

  it("re-challenges with stale=true when a correct answer carries an expired nonce", async () => {
    const challenge = await r.registrar.handle(register({ callId: "s" }), udp());
    time.advance(6 * 60_000);
    const authorization = answer(challenge, { password: "secret" });
    const res = await r.registrar.handle(register({ callId: "s", cseq: 2, authorization }), udp());
    expect(res.status).toBe(401);
    expect(getHeaders(res, "www-authenticate")[0]).toContain("stale=true");
  });

  it("a replayed nonce count is re-challenged, not accepted", async () => {
    const challenge = await r.registrar.handle(register({ callId: "rp" }), udp());
    const authorization = answer(challenge, { password: "secret" });
    expect((await r.registrar.handle(register({ callId: "rp", cseq: 2, authorization }), udp())).status).toBe(
      200,
    );
    const replay = await r.registrar.handle(register({ callId: "rp", cseq: 3, authorization }), udp());
    expect(replay.status).toBe(401);
  });
});
