import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../message/parse.js";
import type { SipRequest } from "../message/types.js";
import { parseAuthValue, serializeAuthValue } from "./auth.js";
import {
  appendHeader,
  createHeader,
  getHeader,
  getHeaders,
  prependHeader,
  removeHeader,
  setHeader,
} from "./header-list.js";
import { headerKey } from "./header-names.js";
import { parseContact, parseNameAddr, serializeNameAddr } from "./name-addr.js";
import { splitCommas } from "./scan.js";
import { shadow } from "./byte-scan.js";
import { getAuthValues, getContacts, getFrom, getOptionTags, getTopVia } from "./typed.js";
import {
  isContentTypeAt,
  parseCallId,
  parseContentType,
  parseCSeq,
  parseDate,
  parseOptionTags,
  parseWarning,
} from "./values.js";
import { parseVia, serializeVia } from "./via.js";

const INVITE_WITH = (line: string): string =>
  [
    "INVITE sip:b@h SIP/2.0",
    "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
    "From: <sip:a@h>;tag=1",
    "To: <sip:b@h>",
    "Call-ID: c1",
    "CSeq: 1 INVITE",
    line,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");

function parsed(text: string): SipRequest {
  const r = parseMessage(text);
  if (!r.ok || r.message.kind !== "request") throw new Error(r.ok ? "not a request" : r.error.message);
  return r.message;
}

function value<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

describe("RFC 3261 §7.3.3 compact forms", () => {
  it("maps every compact form to its long name", () => {
    const pairs: Array<[string, string]> = [
      ["v", "via"],
      ["f", "from"],
      ["t", "to"],
      ["i", "call-id"],
      ["m", "contact"],
      ["l", "content-length"],
      ["c", "content-type"],
      ["k", "supported"],
      ["s", "subject"],
      ["e", "content-encoding"],
      ["o", "event"],
      ["r", "refer-to"],
      ["b", "referred-by"],
      ["u", "allow-events"],
      ["x", "session-expires"],
      ["y", "identity"],
    ];
    for (const [short, long] of pairs) {
      expect(headerKey(short)).toBe(long);
      expect(headerKey(short.toUpperCase())).toBe(long);
    }
    expect(headerKey("MaX-fOrWaRdS")).toBe("max-forwards");
    expect(headerKey("C%6Fntact")).toBe("c%6fntact");
  });
});

describe("RFC 3261 §7.3.1 comma splitting", () => {
  it("splits at top-level commas only", () => {
    expect(splitCommas('"a, b" <sip:x@y;p=1,2>, <sip:z@w>')).toEqual(['"a, b" <sip:x@y;p=1,2>', "<sip:z@w>"]);
    expect(splitCommas('"esc \\", still" <sip:a@b>, c')).toEqual(['"esc \\", still" <sip:a@b>', "c"]);
  });
});

describe("RFC 3261 §20.42 Via", () => {
  it("parses protocol, transport, sent-by and params with odd LWS (RFC 4475 §3.1.1.1)", () => {
    const v = value(parseVia("SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8"));
    expect([v.protocol, v.version, v.transport, v.host, v.port, v.branch]).toEqual([
      "SIP",
      "2.0",
      "TCP",
      "spindle.example.com",
      undefined,
      "z9hG4bK9ikj8",
    ]);
  });
  it("reads received and rport as flag or value (RFC 3581)", () => {
    expect(value(parseVia("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKx")).rport).toBe(true);
    const v = value(
      parseVia("SIP/2.0/UDP 10.0.0.1:5060;rport=6000;received=192.0.2.1;branch=z9hG4bKx;ttl=3"),
    );
    expect([v.rport, v.received, v.port, v.params.get("ttl")]).toEqual([6000, "192.0.2.1", 5060, "3"]);
  });
  it("accepts IPv6 sent-by and received with or without brackets (RFC 5118 §4.5)", () => {
    const v = value(
      parseVia("SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=[2001:db8::9:255]"),
    );
    expect([v.host, v.port, v.received]).toEqual(["[2001:db8::9:1]", 6050, "[2001:db8::9:255]"]);
    expect(
      value(parseVia("SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKa;received=2001:db8::9:255")).received,
    ).toBe("2001:db8::9:255");
  });
  it("accepts unknown transports (RFC 4475 §3.1.1.10)", () => {
    expect(value(parseVia("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKa")).transport).toBe("UNKNOWN");
  });
  it("rejects a non-2.0 version, empty params and a received that is not an address", () => {
    expect(parseVia("SIP/7.0/UDP h;branch=z9hG4bKa").ok).toBe(false);
    expect(parseVia("SIP/2.0/UDP 192.0.2.15;;").ok).toBe(false);
    expect(parseVia("SIP/2.0/UDP h;received=example.com").ok).toBe(false);
    expect(parseVia("SIP/2.0/UDP h;branch").ok).toBe(false);
  });
  it("reads the usual SIP/2.0/ and any other spelling of sent-protocol alike (RFC 3261 §7.3.1, §25.1)", () => {
    const usual = value(parseVia("SIP/2.0/UDP h:5060;branch=z9hG4bK1;received=192.0.2.1;rport=7"));
    for (const other of ["SIP/2.0/udp h:5060", "SIP /2.0/ UDP h:5060", "SIP/2.0/ UDP  h:5060"]) {
      const v = value(parseVia(other + ";branch=z9hG4bK1;received=192.0.2.1;rport=7"));
      expect([v.protocol, v.version, v.transport, v.host, v.port, v.branch, v.received, v.rport]).toEqual([
        usual.protocol,
        usual.version,
        usual.transport,
        usual.host,
        usual.port,
        usual.branch,
        usual.received,
        usual.rport,
      ]);
    }
    // A missing transport is reported before an unsupported version, on either path.
    for (const bad of ["SIP/2.0/", "SIP/2.0/ ", "SIP/3.0/ "]) {
      const r = parseVia(bad);
      expect(r.ok ? "" : r.error.message).toBe("Via: missing transport");
    }
    const old = parseVia("SIP/3.0/UDP h");
    expect(old.ok ? undefined : old.error.code).toBe("SIP_ERR_VERSION");
  });
  it("takes the last of a repeated branch, received or rport, as the params map does", () => {
    const v = value(
      parseVia("SIP/2.0/UDP h;branch=z9hG4bK1;rport;received=192.0.2.1;branch=z9hG4bK2;rport=9"),
    );
    expect([v.branch, v.rport, v.received]).toEqual(["z9hG4bK2", 9, "192.0.2.1"]);
    expect(parseVia("SIP/2.0/UDP h;branch=z9hG4bK1;branch").ok).toBe(false);
  });
  it("round-trips through serializeVia", () => {
    const v = value(parseVia("SIP/2.0/WSS df7jal23ls0d.invalid;rport;branch=z9hG4bK5"));
    expect(serializeVia(v)).toBe("SIP/2.0/WSS df7jal23ls0d.invalid;rport;branch=z9hG4bK5");
  });
});

describe("RFC 3261 §25.1 generic-param: parameters built on first access", () => {
  it("holds every parameter in wire order, a repeated name with its last value, as a Map did", () => {
    const v = value(parseVia("SIP/2.0/UDP h;ttl=3;Branch=z9hG4bK1;maddr=m;ttl=4;rport"));
    expect([...v.params]).toEqual([
      ["ttl", "4"],
      ["branch", "z9hG4bK1"],
      ["maddr", "m"],
      ["rport", null],
    ]);
    expect([v.branch, v.rport]).toEqual(["z9hG4bK1", true]);
  });
  it("gives each parsed value a map of its own, which can be edited or replaced", () => {
    const a = value(parseNameAddr("<sip:a@h>"));
    const b = value(parseNameAddr("<sip:b@h>"));
    a.params.set("tag", "x");
    expect([a.params.get("tag"), b.params.size]).toEqual(["x", 0]);
    b.params = new Map([["lr", null]]);
    expect(serializeNameAddr(b)).toBe("<sip:b@h>;lr");
  });
  it("an object spread leaves params out, so callers pass it explicitly", () => {
    const v = value(parseVia("SIP/2.0/UDP h;branch=z9hG4bK1;rport"));
    expect(Object.keys({ ...v })).not.toContain("params");
    expect(serializeVia({ ...v, params: v.params })).toBe("SIP/2.0/UDP h;branch=z9hG4bK1;rport");
  });
});

describe("RFC 3261 §20.10 §20.20 §20.39 name-addr", () => {
  it("parses display names quoted, token and absent", () => {
    expect(value(parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8'))).toMatchObject(
      { displayName: 'J Rosenberg \\"', uri: "sip:jdrosen@example.com", tag: "98asjd8" },
    );
    expect(value(parseNameAddr("token1~` token2'+_ <sip:mundane@example.com>")).displayName).toBe(
      "token1~` token2'+_",
    );
    expect(value(parseNameAddr('"caller"<sip:caller@example.com>;tag=323')).displayName).toBe("caller");
    expect(value(parseNameAddr("<sip:a@b>")).displayName).toBeUndefined();
  });
  it("treats ;params after a bare addr-spec as header params (RFC 4475 §3.3.12, §3.3.13)", () => {
    const bare = value(parseContact("sip:user@host.example.com;unknownparam"));
    expect([bare.uri, bare.params.has("unknownparam")]).toEqual(["sip:user@host.example.com", true]);
    const br = value(parseContact("<sip:user@host.example.com;unknownparam>"));
    expect([br.uri, br.params.size]).toEqual(["sip:user@host.example.com;unknownparam", 0]);
  });
  it("parses Contact *, expires and q", () => {
    expect(value(parseContact("*")).star).toBe(true);
    const c = value(parseContact('<sip:a@b>;expires=3600;q=0.7;+sip.instance="<urn:uuid:1>"'));
    expect([c.expires, c.q, c.params.get("+sip.instance")]).toEqual([3600, 0.7, '"<urn:uuid:1>"']);
    expect(parseContact("<sip:a@b>;expires=280297596632815").ok).toBe(false);
    expect(parseContact("<sip:a@b>;q=1.5").ok).toBe(false);
  });
  it("rejects spaces inside <> and unquoted non-token display names (RFC 4475 §3.1.2.14, §3.1.2.15)", () => {
    expect(parseNameAddr('"Watson, Thomas" < sip:t.watson@example.org >').ok).toBe(false);
    expect(parseNameAddr("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").ok).toBe(false);
  });
  it("rejects ? in a bare addr-spec (RFC 4475 §3.1.2.13)", () => {
    expect(parseContact("sip:user@example.com?Route=%3Csip:sip.example.com%3E").ok).toBe(false);
    expect(parseContact("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>").ok).toBe(true);
  });
  it("accepts unknown URI schemes (RFC 4475 §3.3.4)", () => {
    expect(value(parseNameAddr("isbn:2983792873")).uri).toBe("isbn:2983792873");
    expect(value(parseNameAddr("<http://www.example.com>;tag=3234233")).tag).toBe("3234233");
  });
  it("serializes with quoting when needed", () => {
    expect(
      serializeNameAddr({ displayName: "Bob Smith", uri: "sip:b@h", params: new Map([["tag", "x"]]) }),
    ).toBe('"Bob Smith" <sip:b@h>;tag=x');
    expect(serializeNameAddr({ displayName: "Bob", uri: "sip:b@h", params: new Map() })).toBe(
      "Bob <sip:b@h>",
    );
  });
});

describe("RFC 3261 §20 scalar headers", () => {
  it("CSeq, Content-Type, Date, Warning, option tags", () => {
    expect(value(parseCSeq("4711 INVITE"))).toEqual({ seq: 4711, method: "INVITE" });
    expect(parseCSeq("INVITE").ok).toBe(false);
    const ct = value(parseContentType("multipart/mixed;boundary=7a9cbec02ceef655"));
    expect([ct.type, ct.subtype, ct.params.get("boundary")]).toEqual([
      "multipart",
      "mixed",
      "7a9cbec02ceef655",
    ]);
    expect(parseDate("Sat, 13 Nov 2010 23:29:00 GMT").ok).toBe(true);
    expect(parseDate("Fri, 01 Jan 2010 16:00:00 EST").ok).toBe(false);
    expect(value(parseWarning('370 devnull "Choose a bigger pipe"')).code).toBe(370);
    expect(parseWarning('1812 overture "In Progress"').ok).toBe(false);
    expect(value(parseOptionTags("100rel, timer ,replaces"))).toEqual(["100rel", "timer", "replaces"]);
    expect(value(parseOptionTags(""))).toEqual([]);
  });
  it("Call-ID is word [ @ word ]: one @ at most, with a word on either side (RFC 3261 §20.8, §25.1)", () => {
    for (const good of ["a", "f81d4fae-7dec-11d0-a765@foo.bar.com", "x@y", '(a)<b>:"c"/[d]?{e}@\\'])
      expect(value(parseCallId(good))).toBe(good);
    for (const bad of ["", "@", "@a", "a@", "a@b@c", "a b", "a;b", "é@h", "a@é"])
      expect(parseCallId(bad).ok, bad).toBe(false);
  });
});

describe("RFC 3261 §20.7 §20.44 auth headers", () => {
  it("parses scheme and params with commas inside quotes", () => {
    const a = value(
      parseAuthValue(
        'Digest username="bob", realm="a, b", nonce="n", uri="sip:x", response="r", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"',
      ),
    );
    expect(a.scheme).toBe("Digest");
    expect(a.params.get("realm")).toBe("a, b");
    expect(a.params.get("nc")).toBe("00000001");
    expect(
      serializeAuthValue({
        scheme: "Digest",
        params: new Map([
          ["realm", "r"],
          ["algorithm", "MD5"],
        ]),
      }),
    ).toBe('Digest realm="r", algorithm=MD5');
  });
  it("resolves quoted-pairs, keeps the scheme as written and lower-cases unknown names", () => {
    const a = value(parseAuthValue('DIGEST Realm="say \\"hi\\"", X-Odd="a\\\\b", nonce="n"'));
    expect([a.scheme, a.params.get("realm"), a.params.get("x-odd"), a.params.get("nonce")]).toEqual([
      "DIGEST",
      'say "hi"',
      "a\\b",
      "n",
    ]);
  });
  it("reads credentials of a parsed message as from the string (RFC 3261 §22.4)", () => {
    const line =
      'Digest username="alice", realm="r", nonce="YmFz", uri="sip:b@h", response="5ab6", qop=auth, nc=00000001, cnonce="q6"';
    const m = parsed(INVITE_WITH("Proxy-Authorization: " + line));
    const fromMessage = getAuthValues(m, "proxy-authorization")[0];
    expect(fromMessage?.params).toEqual(value(parseAuthValue(line)).params);
    expect([...(fromMessage?.params.keys() ?? [])]).toEqual([
      "username",
      "realm",
      "nonce",
      "uri",
      "response",
      "qop",
      "nc",
      "cnonce",
    ]);
  });
  it("credentials parsed on first access over the message bytes read as from the string: after non-ASCII text, folded, several lines", () => {
    const a = 'Digest username="b\u00f6b", realm="r", nonce="n1", uri="sip:b@h", response="0a"';
    const p = 'Digest username="alice", realm="r2", nonce="n2", uri="sip:b@h", response="1b", nc=00000001';
    const text = [
      "INVITE sip:b@h SIP/2.0",
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
      'From: "Zo\u00eb" <sip:a@h>;tag=1',
      "To: <sip:b@h>",
      "Call-ID: c1",
      "CSeq: 1 INVITE",
      "Authorization: " + a,
      'Proxy-Authorization: Digest username="alice", realm="r2",',
      ' nonce="n2", uri="sip:b@h", response="1b", nc=00000001',
      "Proxy-Authorization: " + p,
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    // With non-ASCII text the parser scans stand-ins of the head; without, the input bytes.
    const ascii = (t: string): string => t.replaceAll("\u00eb", "e").replaceAll("\u00f6", "o");
    for (const [input, auth] of [
      [text, a],
      [ascii(text), ascii(a)],
    ] as const) {
      const m = parsed(input);
      expect(getAuthValues(m, "authorization").map((v) => v.params)).toEqual([
        value(parseAuthValue(auth)).params,
      ]);
      expect(getAuthValues(m, "proxy-authorization").map((v) => v.params)).toEqual([
        value(parseAuthValue(p)).params,
        value(parseAuthValue(p)).params,
      ]);
    }
  });
  it("values parsed on first access do not see the stand-ins of a longer value parsed before", () => {
    const m: SipRequest = {
      kind: "request",
      method: "INVITE",
      uri: "sip:b@h",
      headers: [
        createHeader(
          "Authorization",
          'Digest username="a", realm="r", nonce="n", uri="sip:b@h", response="0123456789"',
        ),
        createHeader("Proxy-Authorization", "Digest"),
        createHeader("Via", "SIP/2.0/UDP h"),
        createHeader("Contact", "<sip:c@h>"),
      ],
      body: new Uint8Array(0),
    };
    expect(getAuthValues(m, "authorization")[0]?.params.get("response")).toBe("0123456789");
    const bare = getAuthValues(m, "proxy-authorization")[0];
    expect([bare?.scheme, bare?.params.size]).toEqual(["Digest", 0]);
    const via = getTopVia(m);
    expect([via?.host, via?.port, via?.params.size]).toEqual(["h", undefined, 0]);
    expect(getContacts(m).map((c) => [c.uri, c.params.size])).toEqual([["sip:c@h", 0]]);
  });
  it("values with non-ASCII characters parsed on first access keep them (stand-ins, not bytes)", () => {
    const m: SipRequest = {
      kind: "request",
      method: "INVITE",
      uri: "sip:b@h",
      headers: [createHeader("From", '"Zo\u00eb \u0122\u2603" <sip:z@h>;tag=\u00e91')],
      body: new Uint8Array(0),
    };
    expect(getFrom(m)).toBeUndefined(); // a tag is a token: é is not one
    m.headers = [createHeader("From", '"Zo\u00eb \u0122\u2603" <sip:z@h>;tag=t1')];
    expect([getFrom(m)?.displayName, getFrom(m)?.tag]).toEqual(["Zo\u00eb \u0122\u2603", "t1"]);
  });
  it("a malformed Authorization line does not make the message unparseable", () => {
    const r = parseMessage(INVITE_WITH('Authorization: Digest username="unterminated'));
    expect(r.ok).toBe(true);
    if (r.ok) expect(getAuthValues(r.message, "authorization")).toEqual([]);
  });
  it("accepts an unknown scheme (RFC 4475 §3.3.7)", () => {
    expect(value(parseAuthValue("NoOneKnowsThisScheme opaque-data=here")).scheme).toBe(
      "NoOneKnowsThisScheme",
    );
  });
});

describe("header editing helpers", () => {
  const msg = (): SipRequest => ({
    kind: "request",
    method: "INVITE",
    uri: "sip:b@h",
    headers: [
      { name: "v", key: "via", value: "SIP/2.0/UDP a;branch=z9hG4bK1" },
      { name: "X-A", key: "x-a", value: "1" },
      { name: "x-a", key: "x-a", value: "2" },
      { name: "Supported", key: "supported", value: "100rel, timer" },
      { name: "m", key: "contact", value: "<sip:a@1>, <sip:b@2>;expires=5" },
      { name: "WWW-Authenticate", key: "www-authenticate", value: 'Digest realm="r", nonce="n"' },
    ],
    body: new Uint8Array(),
  });
  it("set replaces all lines in place; append/prepend/remove keep the rest in order", () => {
    const m = msg();
    setHeader(m, "X-A", "9");
    expect(getHeaders(m, "x-a")).toEqual(["9"]);
    expect(m.headers[1]?.value).toBe("9");
    prependHeader(m, "Via", "SIP/2.0/UDP top;branch=z9hG4bK0");
    expect(m.headers[0]?.value).toContain("top");
    appendHeader(m, "call-id", "abc");
    expect(m.headers.at(-1)).toEqual({ name: "Call-ID", key: "call-id", value: "abc" });
    expect(removeHeader(m, "V")).toBe(2);
    expect(getHeader(m, "via")).toBeUndefined();
  });
  it("refuses CR/LF in a value (header injection)", () => {
    expect(() => appendHeader(msg(), "X-B", "a\r\nVia: evil")).toThrow(TypeError);
  });
  it("typed multi-value accessors", () => {
    const m = msg();
    expect(getContacts(m).map((c) => [c.uri, c.expires])).toEqual([
      ["sip:a@1", undefined],
      ["sip:b@2", 5],
    ]);
    expect(getOptionTags(m, "supported")).toEqual(["100rel", "timer"]);
    expect(getAuthValues(m, "www-authenticate")[0]?.params.get("nonce")).toBe("n");
  });
});

describe("isContentTypeAt (the parser's Content-Type check without building the value)", () => {
  it("gives parseContentType's verdict", () => {
    const pieces = [
      "application",
      "sdp",
      "/",
      " ",
      "\t",
      ";",
      "=",
      "charset",
      "utf-8",
      '"',
      '"x"',
      "\\",
      "é",
      ",",
      "[",
      ":",
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), (a) => {
        const s = a.join("");
        expect(isContentTypeAt(s, shadow(s), 0)).toBe(parseContentType(s).ok);
      }),
      { numRuns: 5000 },
    );
    expect(isContentTypeAt("application/sdp", shadow("application/sdp"), 0)).toBe(true);
  });
});
