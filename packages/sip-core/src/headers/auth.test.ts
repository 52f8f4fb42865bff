import { describe, expect, it } from "vitest";
import { parseAuthValue, parseAuthValueAt } from "./auth.js";
import { shadow } from "./byte-scan.js";

function value<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

/** The same value parsed over stand-ins of its own (a fresh copy), as before the shared buffer. */
const overFreshCopy = (s: string) => parseAuthValueAt(s, shadow(s), 0, "authorization");

describe("RFC 3261 §20.7 §20.28 credentials from a string (stand-ins in a reused buffer)", () => {
  const long =
    'Digest algorithm=SHA-256, username="alice", realm="acme.sip.example", nonce="YmFzZTY0bm9uY2U6MTcwMDAwMDAwMA", uri="sip:bob@acme.sip.example", response="5ab6f0b1f3a1d2c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c", qop=auth, cnonce="q6yklbhpdsrb", nc=00000001';
  it("reads a long value (over 64 characters) as over a copy of its own", () => {
    const a = value(parseAuthValue(long));
    expect(a.scheme).toBe("Digest");
    expect([...a.params]).toEqual([...value(overFreshCopy(long)).params]);
    expect(a.params.get("response")).toBe("5ab6f0b1f3a1d2c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c");
  });
  it("keeps non-ASCII text, escaped quotes and commas inside quotes", () => {
    const s = `Digest username="b\u00f6b \u2603", realm="say \\"hi\\", a, b", nonce="${"n".repeat(300)}", nc=00000001`;
    const a = value(parseAuthValue(s));
    expect([a.params.get("username"), a.params.get("realm"), a.params.get("nonce")?.length]).toEqual([
      "b\u00f6b \u2603",
      'say "hi", a, b',
      300,
    ]);
    expect([...a.params]).toEqual([...value(overFreshCopy(s)).params]);
  });
  it("a shorter value parsed after a longer one sees none of the longer one's characters", () => {
    value(parseAuthValue(long));
    expect(parseAuthValue('Digest realm="r", nonce').ok).toBe(false);
    const a = value(parseAuthValue('Digest realm="r"'));
    expect([...a.params]).toEqual([["realm", "r"]]);
    // The first result still holds its own strings after the buffer was reused.
    const first = value(parseAuthValue(long));
    value(parseAuthValue('Basic token="x"'));
    expect(first.params.get("realm")).toBe("acme.sip.example");
  });
  it("gives the same verdicts as over a copy of its own", () => {
    for (const s of [
      "",
      "Digest",
      "Digest ",
      'Digest realm="unterminated',
      "Digest realm=",
      "Digest realm=a,,nonce=b",
      'Digest realm="a" nonce="b"',
      'Digest\u00e9 realm="a"',
      `Digest realm="${"x".repeat(5000)}"`,
    ]) {
      const r = parseAuthValue(s);
      const c = overFreshCopy(s);
      expect(r.ok, s.slice(0, 40)).toBe(c.ok);
      if (r.ok && c.ok) expect([...r.value.params]).toEqual([...c.value.params]);
    }
  });
});

describe("RFC 3261 §25.1 auth-param names in any case and spacing (RFC 3261 §7.3.1)", () => {
  it("reads the same params whether the names are written as usual or not", () => {
    const usual = value(parseAuthValue('Digest username="a", realm="r", nonce="n", nc=00000001, qop=auth'));
    for (const odd of [
      'Digest USERNAME="a", Realm="r", NONCE="n", Nc=00000001, qoP=auth',
      'Digest username ="a", realm\t= "r" , nonce  =  "n",nc =00000001,qop=auth',
      'digest username="a",realm="r",nonce="n",nc=00000001,qop=auth',
    ]) {
      const a = value(parseAuthValue(odd));
      expect([...a.params], odd).toEqual([...usual.params]);
    }
  });
  it("keeps unknown names, lower-cased, and names that only start like a known one", () => {
    const a = value(parseAuthValue('Digest nonces="x", X-Custom=1, uri2="u", realm="r"'));
    expect([...a.params.keys()]).toEqual(["nonces", "x-custom", "uri2", "realm"]);
  });
});
