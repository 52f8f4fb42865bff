import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAuthorization, formatNonceCount, selectDigestChallenge } from "./digest-client.js";
import { computeDigestResponse, computeHa1, computeUserhash, digestHash } from "./digest-hash.js";
import {
  parseDigestChallenge,
  parseDigestCredentials,
  serializeDigestChallenge,
  serializeDigestCredentials,
} from "./digest-headers.js";
import { NonceCountTracker } from "./digest-nonce.js";
import { parseDigestParams, quoteString } from "./digest-params.js";
import { DigestServer } from "./digest-server.js";

const SECRET = "0123456789abcdef-test-secret";
const REALM = "acme.sip.example";

function serverAt(clock: { t: number }, extra: { maxTrackedNonces?: number; nonceTtlMs?: number } = {}) {
  return new DigestServer({ secret: SECRET, now: () => clock.t, ...extra });
}

function answer(challenge: string, nc = 1, password = "s3cret", username = "alice") {
  const result = createAuthorization(challenge, {
    username,
    password,
    method: "REGISTER",
    uri: `sip:${REALM}`,
    nc,
    cnonce: "0a4f113b",
  });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe("RFC 7616 §3.9.1 examples (Mufasa)", () => {
  const common = {
    nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    method: "GET",
    uri: "/dir/index.html",
    qop: "auth" as const,
    nc: "00000001",
    cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  };

  it("computes the MD5 response", () => {
    const ha1 = computeHa1("MD5", "Mufasa", "http-auth@example.org", "Circle of Life");
    expect(computeDigestResponse({ ...common, algorithm: "MD5", ha1 })).toBe(
      "8ca523f5e9506fed4657c9700eebdbec",
    );
  });

  it("computes the SHA-256 response", () => {
    const ha1 = computeHa1("SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life");
    expect(computeDigestResponse({ ...common, algorithm: "SHA-256", ha1 })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });

  it("the client produces the same SHA-256 response from the example challenge", () => {
    const challenge =
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const result = createAuthorization(challenge, {
      username: "Mufasa",
      password: "Circle of Life",
      method: "GET",
      uri: "/dir/index.html",
      nc: 1,
      cnonce: common.cnonce,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const creds = parseDigestCredentials(result.value);
    expect(creds).toMatchObject({
      ok: true,
      value: {
        response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        qop: "auth",
        nc: "00000001",
        opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
        algorithm: "SHA-256",
      },
    });
  });

  it("userhash: the client hashes its username when the server asks (RFC 7616 §3.4.4)", () => {
    const hashed = computeUserhash("SHA-512-256", "J\u00e4s\u00f8n Doe", "api@example.org");
    expect(hashed).toBe(digestHash("SHA-512-256", "J\u00e4s\u00f8n Doe:api@example.org"));
    expect(hashed).toMatch(/^[0-9a-f]{64}$/);
    const result = createAuthorization(
      'Digest realm="api@example.org", nonce="n", algorithm=SHA-512-256, qop="auth", userhash=true',
      {
        username: "J\u00e4s\u00f8n Doe",
        password: "Secret, or not?",
        method: "GET",
        uri: "/doe.json",
        nc: 1,
      },
    );
    expect(result.ok && parseDigestCredentials(result.value)).toMatchObject({
      ok: true,
      value: { username: hashed, userhash: true, algorithm: "SHA-512-256" },
    });
  });
});

describe("RFC 3261 §25.1 / RFC 7235 §2.1 parameter lists", () => {
  it("reads tokens, quoted strings with escapes, odd spacing and case", () => {
    const parsed = parseDigestParams('digest  Realm = "a \\"b\\" \\\\c" ,NONCE="n",\r\n algorithm=md5');
    expect(parsed.ok && Object.fromEntries(parsed.value)).toEqual({
      realm: 'a "b" \\c',
      nonce: "n",
      algorithm: "md5",
    });
  });

  it("gives typed errors for broken lists", () => {
    expect(parseDigestParams('Basic realm="x"')).toMatchObject({ ok: false, error: { code: "not-digest" } });
    expect(parseDigestParams('Digest realm="x')).toMatchObject({ ok: false, error: { code: "malformed" } });
    expect(parseDigestParams("Digest realm=")).toMatchObject({ ok: false, error: { code: "malformed" } });
    expect(parseDigestParams('Digest a="1" b="2"')).toMatchObject({
      ok: false,
      error: { code: "malformed" },
    });
    expect(parseDigestParams("Digest a=1, A=2")).toMatchObject({
      ok: false,
      error: { code: "duplicate-param" },
    });
    expect(parseDigestChallenge('Digest realm="x"')).toMatchObject({
      ok: false,
      error: { code: "missing-param" },
    });
  });

  it("property: random input never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const result = parseDigestParams(`Digest ${s}`);
        expect(typeof result.ok).toBe("boolean");
      }),
    );
  });

  it("property: challenges and credentials round-trip, whatever the quoted text", () => {
    const text = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(text, text, text, fc.boolean(), (realm, nonce, opaque, stale) => {
        const challenge = {
          realm,
          nonce,
          opaque,
          stale,
          algorithm: "SHA-256",
          qop: ["auth"],
          domain: undefined,
          userhash: false,
        };
        expect(parseDigestChallenge(serializeDigestChallenge(challenge))).toEqual({
          ok: true,
          value: challenge,
        });
        const creds = {
          username: realm,
          realm,
          nonce,
          uri: "sip:x",
          response: "ab",
          algorithm: "MD5",
          qop: "auth",
          nc: "00000001",
          cnonce: opaque,
          opaque: undefined,
          userhash: false,
        };
        expect(parseDigestCredentials(serializeDigestCredentials(creds))).toEqual({ ok: true, value: creds });
      }),
    );
  });

  it("quotes backslash and double quote", () => {
    expect(quoteString('a"b\\')).toBe('"a\\"b\\\\"');
  });
});

describe("RFC 8760 §2.4 / RFC 7616 §3.7: several challenges, strongest first", () => {
  it("the server offers SHA-256 then MD5, each with qop=auth", () => {
    const server = serverAt({ t: 1_000_000 });
    const [first, second, ...rest] = server.createChallenges({ realm: REALM });
    expect(rest).toEqual([]);
    expect(parseDigestChallenge(first as string)).toMatchObject({
      ok: true,
      value: { algorithm: "SHA-256", qop: ["auth"], realm: REALM, stale: false },
    });
    expect(parseDigestChallenge(second as string)).toMatchObject({ ok: true, value: { algorithm: "MD5" } });
  });

  it("challenges of one response share one nonce, in the order asked for", () => {
    const server = serverAt({ t: 1_000_000 });
    const nonceOf = (c: string) => {
      const parsed = parseDigestChallenge(c);
      if (!parsed.ok) throw new Error(parsed.error.message);
      return parsed.value;
    };
    const [md5, sha] = server.createChallenges({ realm: REALM }, ["MD5", "SHA-256"]).map(nonceOf);
    expect([md5?.algorithm, sha?.algorithm]).toEqual(["MD5", "SHA-256"]);
    expect(md5?.nonce).toBe(sha?.nonce);
    // ...and a later response gets another.
    expect(nonceOf(server.createChallenges({ realm: REALM })[0]!).nonce).not.toBe(md5?.nonce);
  });

  it("the client takes the first algorithm it supports", () => {
    const picked = selectDigestChallenge([
      'Digest realm="r", nonce="1", algorithm=SHA-3',
      "garbage",
      'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
      'Digest realm="r", nonce="3", algorithm=MD5, qop="auth"',
    ]);
    expect(picked?.nonce).toBe("2");
    expect(selectDigestChallenge(['Digest realm="r", nonce="2"'], "other")).toBeUndefined();
  });
});

describe("RFC 3261 §22.4 / RFC 7616 §3.4: server verification from stored HA1", () => {
  for (const algorithm of ["SHA-256", "MD5"] as const) {
    it(`accepts correct ${algorithm} credentials and refuses a wrong password`, () => {
      const clock = { t: 1_000_000 };
      const server = serverAt(clock);
      const challenge = server.createChallenge({ realm: REALM, algorithm, opaque: "op" });
      const ha1 = computeHa1(algorithm, "alice", REALM, "s3cret");
      expect(
        server.verify(answer(challenge), {
          method: "REGISTER",
          realm: REALM,
          ha1,
          opaque: "op",
          requestUri: `sip:${REALM}`,
        }),
      ).toEqual({ ok: true, username: "alice", realm: REALM, algorithm, userhash: false });
      expect(
        server.verify(answer(challenge, 2, "wrong"), { method: "REGISTER", realm: REALM, ha1 }),
      ).toMatchObject({
        ok: false,
        code: "bad-response",
        stale: false,
      });
    });
  }

  it("refuses a mismatched method, realm, uri, opaque, algorithm, unknown user and a forged nonce", () => {
    const server = serverAt({ t: 5_000 });
    const challenge = server.createChallenge({ realm: REALM, algorithm: "SHA-256", opaque: "op" });
    const ha1 = computeHa1("SHA-256", "alice", REALM, "s3cret");
    const creds = answer(challenge);
    const base = { method: "REGISTER", realm: REALM, ha1 };
    expect(server.verify(creds, { ...base, method: "INVITE" })).toMatchObject({ code: "bad-response" });
    expect(server.verify(creds, { ...base, realm: "other" })).toMatchObject({ code: "realm-mismatch" });
    expect(server.verify(creds, { ...base, requestUri: "sip:elsewhere" })).toMatchObject({
      code: "uri-mismatch",
    });
    expect(server.verify(creds, { ...base, opaque: "nope" })).toMatchObject({ code: "opaque-mismatch" });
    expect(server.verify(creds, { ...base, ha1: undefined })).toMatchObject({ code: "unknown-user" });
    expect(server.verify("Basic Zm9v", base)).toMatchObject({ code: "malformed" });
    const forged = answer(
      challenge.replace(/nonce="[^"]+"/, 'nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"'),
    );
    expect(server.verify(forged, base)).toMatchObject({ code: "unknown-nonce" });
    const md5Only = new DigestServer({ secret: SECRET, now: () => 5_000, algorithms: ["MD5"] });
    expect(md5Only.verify(creds, base)).toMatchObject({ code: "unsupported-algorithm" });
  });

  it("refuses credentials without qop (RFC 2069 form)", () => {
    const server = serverAt({ t: 5_000 });
    const challenge = server.createChallenge({ realm: REALM, algorithm: "MD5" }).replace(/, qop="auth"/, "");
    const creds = answer(challenge);
    expect(parseDigestCredentials(creds)).toMatchObject({
      ok: true,
      value: { qop: undefined, nc: undefined },
    });
    const ha1 = computeHa1("MD5", "alice", REALM, "s3cret");
    expect(server.verify(creds, { method: "REGISTER", realm: REALM, ha1 })).toMatchObject({
      code: "unsupported-qop",
    });
  });

  it("a nonce is bound to its realm", () => {
    const server = serverAt({ t: 5_000 });
    const challenge = server.createChallenge({ realm: "a.example", algorithm: "MD5" });
    const creds = answer(challenge.replace('realm="a.example"', 'realm="b.example"'));
    const ha1 = computeHa1("MD5", "alice", "b.example", "s3cret");
    expect(server.verify(creds, { method: "REGISTER", realm: "b.example", ha1 })).toMatchObject({
      code: "unknown-nonce",
    });
  });

  it("answers auth-int only challenges and -sess algorithms on the client side", () => {
    const challenge = 'Digest realm="r", nonce="n", algorithm=SHA-256-sess, qop="auth-int"';
    const body = new TextEncoder().encode("v=0\r\n");
    const result = createAuthorization(challenge, {
      username: "u",
      ha1: "h",
      method: "INVITE",
      uri: "sip:x",
      nc: 3,
      cnonce: "c",
      body,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const expected = computeDigestResponse({
      algorithm: "SHA-256-sess",
      ha1: "h",
      nonce: "n",
      method: "INVITE",
      uri: "sip:x",
      qop: "auth-int",
      nc: "00000003",
      cnonce: "c",
      body,
    });
    expect(parseDigestCredentials(result.value)).toMatchObject({
      ok: true,
      value: { response: expected, algorithm: "SHA-256-SESS", qop: "auth-int", nc: "00000003" },
    });
    expect(
      createAuthorization('Digest realm="r", nonce="n", algorithm=SHA-3', {
        username: "u",
        ha1: "h",
        method: "A",
        uri: "u",
        nc: 1,
      }),
    ).toMatchObject({ ok: false, error: { code: "unsupported-algorithm" } });
    expect(
      createAuthorization('Digest realm="r", nonce="n", qop="x"', {
        username: "u",
        ha1: "h",
        method: "A",
        uri: "u",
        nc: 1,
      }),
    ).toMatchObject({ ok: false, error: { code: "unsupported-qop" } });
  });

  it("formats nonce counts as eight hex digits", () => {
    expect(formatNonceCount(1)).toBe("00000001");
    expect(formatNonceCount(0xabc)).toBe("00000abc");
    expect(() => formatNonceCount(0)).toThrow(RangeError);
  });
});

describe("RFC 7616 §3.3: nonce expiry gives stale=true", () => {
  it("correct credentials on an expired nonce are stale; wrong ones are not", () => {
    const clock = { t: 1_000_000 };
    const server = serverAt(clock, { nonceTtlMs: 30_000 });
    const challenge = server.createChallenge({ realm: REALM, algorithm: "SHA-256" });
    const ha1 = computeHa1("SHA-256", "alice", REALM, "s3cret");
    clock.t += 30_001;
    expect(server.verify(answer(challenge), { method: "REGISTER", realm: REALM, ha1 })).toMatchObject({
      ok: false,
      code: "expired-nonce",
      stale: true,
    });
    expect(
      server.verify(answer(challenge, 1, "bad"), { method: "REGISTER", realm: REALM, ha1 }),
    ).toMatchObject({
      ok: false,
      code: "bad-response",
      stale: false,
    });
    const again = server.createChallenge({ realm: REALM, algorithm: "SHA-256", stale: true });
    expect(parseDigestChallenge(again)).toMatchObject({ ok: true, value: { stale: true } });
    expect(server.verify(answer(again), { method: "REGISTER", realm: REALM, ha1 }).ok).toBe(true);
  });
});

describe("RFC 7616 §3.4 / §5.5: nonce-count replay", () => {
  it("refuses a repeated or lower nc, accepts increasing ones", () => {
    const server = serverAt({ t: 1_000_000 });
    const challenge = server.createChallenge({ realm: REALM, algorithm: "MD5" });
    const ha1 = computeHa1("MD5", "alice", REALM, "s3cret");
    const verify = (nc: number) =>
      server.verify(answer(challenge, nc), { method: "REGISTER", realm: REALM, ha1 });
    expect(verify(1).ok).toBe(true);
    expect(verify(1)).toMatchObject({ ok: false, code: "replayed-nonce-count" });
    expect(verify(3).ok).toBe(true);
    expect(verify(2)).toMatchObject({ ok: false, code: "replayed-nonce-count" });
    expect(verify(4).ok).toBe(true);
  });

  it("a wrong response does not burn the nonce count", () => {
    const server = serverAt({ t: 1_000_000 });
    const challenge = server.createChallenge({ realm: REALM, algorithm: "MD5" });
    const ha1 = computeHa1("MD5", "alice", REALM, "s3cret");
    expect(server.verify(answer(challenge, 9, "bad"), { method: "REGISTER", realm: REALM, ha1 }).ok).toBe(
      false,
    );
    expect(server.verify(answer(challenge, 1), { method: "REGISTER", realm: REALM, ha1 }).ok).toBe(true);
  });

  it("memory stays bounded, and a forgotten nonce is never replayable (stale instead)", () => {
    const clock = { t: 1_000_000 };
    const server = serverAt(clock, { maxTrackedNonces: 3 });
    const ha1 = computeHa1("MD5", "alice", REALM, "s3cret");
    const challenges: string[] = [];
    for (let i = 0; i < 10; i++) {
      clock.t += 1;
      const challenge = server.createChallenge({ realm: REALM, algorithm: "MD5" });
      challenges.push(challenge);
      expect(server.verify(answer(challenge), { method: "REGISTER", realm: REALM, ha1 }).ok).toBe(true);
      expect(server.trackedNonces).toBeLessThanOrEqual(3);
    }
    expect(
      server.verify(answer(challenges[0] as string), { method: "REGISTER", realm: REALM, ha1 }),
    ).toMatchObject({
      ok: false,
      stale: true,
    });
    expect(
      server.verify(answer(challenges[9] as string, 2), { method: "REGISTER", realm: REALM, ha1 }).ok,
    ).toBe(true);
  });

  it("tracker: least recently used is forgotten first", () => {
    const tracker = new NonceCountTracker(2);
    expect(tracker.use("a", 1, 1)).toBe("accepted");
    expect(tracker.use("b", 2, 1)).toBe("accepted");
    expect(tracker.use("a", 1, 2)).toBe("accepted");
    expect(tracker.use("c", 3, 1)).toBe("accepted"); // forgets b (issued at 2)
    expect(tracker.use("b", 2, 2)).toBe("forgotten");
    expect(tracker.use("a", 1, 2)).toBe("replayed");
    expect(tracker.use("d", 4, 1)).toBe("accepted");
    tracker.prune(10);
    expect(tracker.size).toBe(0);
  });
});
