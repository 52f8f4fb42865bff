import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shadow } from "../headers/byte-scan.js";
import { uriEquals } from "./compare.js";
import { isPlainSipUriAt, parseUri, serializeUri, type Uri } from "./uri.js";

function uri(s: string): Uri {
  const r = parseUri(s);
  if (!r.ok) throw r.error;
  return r.value;
}

describe("RFC 3261 §19.1.1 SIP URI components", () => {
  it("parses user, password, host, port, params and headers", () => {
    expect(
      uri("sips:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent"),
    ).toEqual({
      kind: "sip",
      scheme: "sips",
      user: "alice",
      password: "secret",
      host: "atlanta.com",
      hostType: "name",
      port: 5061,
      params: new Map([
        ["transport", "tcp"],
        ["lr", null],
      ]),
      headers: [
        ["subject", "project x"],
        ["priority", "urgent"],
      ],
    });
  });
  it("keeps ; and ? of the user part in the user (RFC 4475 §3.1.1.9)", () => {
    const u = uri("sip:user;par=u%40example.net@example.com");
    expect(u.kind === "sip" && [u.user, u.host, u.params.size]).toEqual([
      "user;par=u@example.net",
      "example.com",
      0,
    ]);
  });
  it("unescapes the user part (RFC 4475 §3.1.1.3, §3.1.1.4)", () => {
    const u = uri("sip:sips%3Auser%40example.com@example.net");
    expect(u.kind === "sip" && u.user).toBe("sips:user@example.com");
    const n = uri("sip:null-%00-null@example.com");
    expect(n.kind === "sip" && n.user).toBe("null-\u0000-null");
  });
  it("parses the unusual userinfo of RFC 4475 §3.1.1.2", () => {
    const u = uri(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    expect(u.kind === "sip" && [u.user, u.password, u.host]).toEqual([
      "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
      "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
      "example.com",
    ]);
  });
  it("rejects bad escapes, bad ports and whitespace", () => {
    expect(parseUri("sip:a%zz@h").ok).toBe(false);
    expect(parseUri("sip:h:99999").ok).toBe(false);
    expect(parseUri("sip:a@h ;lr").ok).toBe(false);
    expect(parseUri("<sip:a@h>").ok).toBe(false);
    expect(parseUri("sip:").ok).toBe(false);
  });
});

describe("RFC 5118 IPv6 references", () => {
  it("parses bracketed IPv6 with and without port", () => {
    const a = uri("sip:[2001:db8::10]:5070");
    expect(a.kind === "sip" && [a.host, a.hostType, a.port]).toEqual(["[2001:db8::10]", "ipv6", 5070]);
    const b = uri("sip:[2001:db8::10:5070]");
    expect(b.kind === "sip" && [b.host, b.port]).toEqual(["[2001:db8::10:5070]", undefined]);
  });
  it("tolerates three colons before embedded IPv4 (RFC 5118 §4.10)", () => {
    expect(parseUri("sip:user@[2001:db8:::192.0.2.1]").ok).toBe(true);
  });
  it("rejects an unbracketed IPv6 address (RFC 5118 §4.2)", () => {
    expect(parseUri("sip:user@2001:db8::10").ok).toBe(false);
  });
});

describe("RFC 3966 tel and other schemes", () => {
  it("parses tel numbers and params", () => {
    const t = uri("tel:+1-201-555-0123;phone-context=example.com");
    expect(t.kind === "tel" && [t.number, t.params.get("phone-context")]).toEqual([
      "+1-201-555-0123",
      "example.com",
    ]);
  });
  it("keeps unknown schemes opaque (RFC 4475 §3.3.2, §3.3.3)", () => {
    expect(uri("soap.beep://192.0.2.103:3002")).toEqual({
      kind: "other",
      scheme: "soap.beep",
      rest: "//192.0.2.103:3002",
    });
  });
});

describe("RFC 3261 §19.1.2 escaping on serialization", () => {
  it("round-trips with canonical escaping", () => {
    for (const s of [
      "sip:alice@atlanta.com",
      "sip:a%20b@h;maddr=239.255.255.1;ttl=15",
      "sips:x@[::1]:5061;transport=tls?h=%3Cv%3E",
      "tel:+15551234;ext=1",
    ]) {
      const u = uri(s);
      expect(uri(serializeUri(u))).toEqual(u);
    }
    expect(serializeUri(uri("sip:a%2Fb%40c@h"))).toBe("sip:a/b%40c@h");
  });
});

describe("RFC 3261 §19.1.4 URI comparison", () => {
  const eq = (a: string, b: string): boolean => uriEquals(uri(a), uri(b));
  it("follows the RFC's equivalent examples", () => {
    expect(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp")).toBe(true);
    expect(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5")).toBe(true);
    expect(
      eq(
        "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
      ),
    ).toBe(true);
  });
  it("follows the RFC's non-equivalent examples", () => {
    expect(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP")).toBe(false);
    expect(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060")).toBe(false);
    expect(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp")).toBe(false);
    expect(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off")).toBe(false);
    expect(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting")).toBe(false);
  });
});

describe("isPlainSipUriAt (the parser's Request-URI check without building the URI)", () => {
  const pieces = [
    "sip:",
    "SIPS:",
    "sIp:",
    "tel:",
    "alice",
    "bob",
    "@",
    ":",
    ";",
    "=",
    "?",
    "&",
    "%",
    "%4",
    "%41",
    "%zz",
    "[",
    "]",
    "::1",
    "example.com",
    "10.0.0.1",
    "5060",
    "99999",
    "transport=ws",
    "lr",
    "user=phone",
    "-",
    ".",
    " ",
    "<",
    '"',
    "é",
    "\u0000",
    "/",
    "+",
  ];
  const candidate = fc.array(fc.constantFrom(...pieces), { maxLength: 10 }).map((a) => a.join(""));
  const plain = (s: string): boolean => {
    const r = parseUri(s);
    return r.ok && r.value.kind === "sip" && r.value.headers.length === 0;
  };

  it("true only when parseUri gives a sip/sips URI without headers, and always then but for IPv6 and ?", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          candidate,
          candidate.map((s) => "sip:" + s),
        ),
        (s) => {
          const fast = isPlainSipUriAt(s, shadow(s), 0);
          if (fast) expect(plain(s)).toBe(true);
          else if (s.indexOf("[") < 0 && s.indexOf("?") < 0 && s.length >= 5) expect(plain(s)).toBe(false);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("decides the usual Request-URIs itself", () => {
    for (const s of ["sip:bob@acme.sip.example", "SIP:b%41b@10.0.0.1:5060;transport=ws;lr", "sips:h.example"])
      expect(isPlainSipUriAt(s, shadow(s), 0)).toBe(true);
    for (const s of ["sip:b%4@h", "sip:@h", "sip:h:99999", "sip:h;=x", "sip:h;a=%g1", "sip:h?x=y", "sip:h x"])
      expect(isPlainSipUriAt(s, shadow(s), 0)).toBe(false);
  });
});
