import { credentials, eq } from "@hookline/db";
import { computeHa1, getHeaders, parseMessage } from "@hookline/sip-core";
import type { SipRequest } from "@hookline/sip-core";
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
} from "../registrar/test-support.js";
import type { Clock } from "../registrar/test-support.js";
import { createCallDirectory } from "../tenancy/call-directory.js";

let temp: ReturnType<typeof tempDatabase>;
let time: Clock;
let r: ReturnType<typeof createRegistrar>;

beforeEach(() => {
  temp = tempDatabase();
  time = clock();
  addTenant(temp.database, DOMAIN, { alice: "secret", bob: "hunter2" });
  r = createRegistrar(temp.database, time);
});
afterEach(() => temp.close());

describe("throttling failed authentication (SPEC §6)", () => {
  const attacker = udp("198.51.100.9", 5060);
  const elsewhere = udp("203.0.113.50", 5060);

  it("10 failures for one user from a source → 403 for that pair for 5 minutes, saying why", async () => {
    for (let i = 0; i < 10; i++) {
      expect((await registerWithAuth(r.registrar, attacker, { password: `guess${i}` })).status).toBe(403);
    }
    // Even the right password is refused now for that pair, without a challenge.
    const blocked = await registerWithAuth(r.registrar, attacker, { password: "secret" });
    expect(blocked.status).toBe(403);
    expect(blocked.reason).toBe("Forbidden (too many failed logins for this user from this address)");
    expect(getHeaders(blocked, "www-authenticate")).toEqual([]);

    // The same user from another source, and other users from everywhere, register as usual.
    expect((await registerWithAuth(r.registrar, elsewhere, { password: "secret" })).status).toBe(200);
    expect(
      (await registerWithAuth(r.registrar, elsewhere, { user: "bob", password: "hunter2" })).status,
    ).toBe(200);

    time.advance(5 * 60_000 - 1);
    expect((await registerWithAuth(r.registrar, attacker, { password: "secret" })).status).toBe(403);
    time.advance(1);
    expect((await registerWithAuth(r.registrar, attacker, { password: "secret" })).status).toBe(200);
  });

  it("regression: a burst of wrong passwords for one user blocked every user behind that address", async () => {
    for (let i = 0; i < 25; i++) await registerWithAuth(r.registrar, attacker, { password: `guess${i}` });
    const bob = await registerWithAuth(r.registrar, attacker, { user: "bob", password: "hunter2" });
    expect(bob.status).toBe(200);
  });

  it("password spraying: failures for 10 distinct users from one source block that source", async () => {
    for (let i = 0; i < 9; i++) {
      const res = await registerWithAuth(r.registrar, attacker, { user: `user${i}`, password: "Summer2026" });
      expect(res.status).toBe(403);
    }
    // Nine distinct users: the source still works for a right password.
    expect((await registerWithAuth(r.registrar, attacker, { user: "bob", password: "hunter2" })).status).toBe(
      200,
    );
    await registerWithAuth(r.registrar, attacker, { user: "user9", password: "Summer2026" });
    const refused = await r.registrar.handle(register({ user: "bob" }), attacker);
    expect(refused.status).toBe(403);
    expect(refused.reason).toBe("Forbidden (too many failed logins for different users from this address)");
    expect(
      (await registerWithAuth(r.registrar, elsewhere, { user: "bob", password: "hunter2" })).status,
    ).toBe(200);
  });

  it("per-username: failures spread over many sources lock that user only", async () => {
    for (let i = 0; i < 10; i++) {
      const res = await registerWithAuth(r.registrar, udp(`192.0.2.${i + 1}`, 5060), { password: "nope" });
      expect(res.status).toBe(403);
    }
    expect(
      (await registerWithAuth(r.registrar, udp("192.0.2.99", 5060), { password: "secret" })).status,
    ).toBe(403);
    expect(
      (await registerWithAuth(r.registrar, udp("192.0.2.99", 5060), { user: "bob", password: "hunter2" }))
        .status,
    ).toBe(200);
  });

  it("a success clears the username's earlier failures", async () => {
    for (let i = 0; i < 9; i++)
      await registerWithAuth(r.registrar, udp(`192.0.2.${i + 1}`, 5060), { password: "x" });
    expect((await registerWithAuth(r.registrar, elsewhere, { password: "secret" })).status).toBe(200);
    expect((await registerWithAuth(r.registrar, udp("192.0.2.77", 5060), { password: "x" })).status).toBe(
      403,
    );
    expect((await registerWithAuth(r.registrar, elsewhere, { password: "secret" })).status).toBe(200);
  });
});

describe("which challenge comes first (RFC 8760 §2.4)", () => {
  const first = async (userAgent?: string) => {
    const res = await r.registrar.handle(register({ ...(userAgent && { userAgent }) }), udp());
    return getHeaders(res, "www-authenticate").map((v) => /algorithm=([\w-]+)/.exec(v)?.[1]);
  };

  it("offers SHA-256 before MD5, but MD5 first to SIPp, which stops at the first", async () => {
    expect(await first()).toEqual(["SHA-256", "MD5"]);
    expect(await first("Linphone/5.2")).toEqual(["SHA-256", "MD5"]);
    // sip.js 0.21 keeps the last WWW-Authenticate line: MD5 last is what it can answer.
    expect(await first("SIP.js/0.21.2")).toEqual(["SHA-256", "MD5"]);
    expect(await first("SIPp register-auth")).toEqual(["MD5", "SHA-256"]);
  });

  it("accepts SIPp's digest uri (sip:<remote ip>:<port>) unless strictDigestUri is set", async () => {
    const challenge = await r.registrar.handle(register({ callId: "u" }), udp());
    const authorization = answer(challenge, { password: "secret", uri: "sip:127.0.0.1:5099" });
    const res = await r.registrar.handle(register({ callId: "u", cseq: 2, authorization }), udp());
    expect(res.status).toBe(200);
  });
});

describe("password changes", () => {
  it("a cached HA1 does not outlive a password change: a failing digest is re-checked uncached", async () => {
    expect((await registerWithAuth(r.registrar, udp(), { password: "secret" })).status).toBe(200);
    temp.database.db
      .update(credentials)
      .set({
        ha1Md5: computeHa1("MD5", "alice", DOMAIN, "changed"),
        ha1Sha256: computeHa1("SHA-256", "alice", DOMAIN, "changed"),
      })
      .where(eq(credentials.username, "alice"))
      .run();
    expect((await registerWithAuth(r.registrar, udp(), { password: "changed" })).status).toBe(200);
    expect((await registerWithAuth(r.registrar, udp(), { password: "secret" })).status).toBe(403);
  });
});

function invite(from: string, authorization?: string): SipRequest {
  const lines = [
    `INVITE sip:bob@${DOMAIN} SIP/2.0`,
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinv1;rport",
    "Max-Forwards: 70",
    `From: <sip:${from}@${DOMAIN}>;tag=a1`,
    `To: <sip:bob@${DOMAIN}>`,
    "Call-ID: inv-1",
    "CSeq: 1 INVITE",
    "Contact: <sip:alice@127.0.0.1:5070>",
    ...(authorization === undefined ? [] : [`Proxy-Authorization: ${authorization}`]),
    "Content-Length: 0",
    "",
    "",
  ];
  const parsed = parseMessage(lines.join("\r\n"));
  if (!parsed.ok || parsed.message.kind !== "request") throw new Error("bad INVITE");
  return parsed.message;
}

describe("INVITE through the call directory (RFC 3261 §22.3)", () => {
  it("challenges with 407 + Proxy-Authenticate, then accepts the From user", async () => {
    const calls = createCallDirectory(r);
    const domain = calls.findDomain("ACME.SIP.EXAMPLE");
    if (domain === undefined) throw new Error("domain");
    const challenge = await calls.authenticate(invite("alice"), udp(), domain);
    if (challenge.ok) throw new Error("expected a challenge");
    expect(challenge.response.status).toBe(407);
    expect(getHeaders(challenge.response, "proxy-authenticate")[0]).toContain("algorithm=SHA-256");
    const authorization = answer(challenge.response, {
      password: "secret",
      method: "INVITE",
      uri: `sip:bob@${DOMAIN}`,
    });
    expect(await calls.authenticate(invite("alice", authorization), udp(), domain)).toEqual({
      ok: true,
      username: "alice",
    });
  });

  it("refuses credentials of one user for a call placed as another From user (403)", async () => {
    const calls = createCallDirectory(r);
    const domain = calls.findDomain(DOMAIN);
    if (domain === undefined) throw new Error("domain");
    const challenge = await calls.authenticate(invite("bob"), udp(), domain);
    if (challenge.ok) throw new Error("expected a challenge");
    const authorization = answer(challenge.response, {
      user: "alice",
      password: "secret",
      method: "INVITE",
      uri: `sip:bob@${DOMAIN}`,
    });
    const res = await calls.authenticate(invite("bob", authorization), udp(), domain);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.response.status).toBe(403);
  });
});
