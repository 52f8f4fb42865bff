import { describe, expect, it } from "vitest";
import { getHeader, getHeaders } from "../headers/header-list.js";
import { getCSeq, getFrom, getTo, getTopVia, getVias } from "../headers/typed.js";
import { parseMessage } from "./parse.js";
import type { SipMessage } from "./types.js";

const crlf = (lines: string[]): string => lines.join("\r\n");

const OPTIONS = crlf([
  "OPTIONS sip:bob@example.com SIP/2.0",
  "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds",
  "Max-Forwards: 70",
  "To: <sip:bob@example.com>",
  "From: Alice <sip:alice@example.com>;tag=1928301774",
  "Call-ID: a84b4c76e66710@pc33.example.com",
  "CSeq: 63104 OPTIONS",
  "Content-Length: 0",
  "",
  "",
]);

function parsed(input: string | Uint8Array): SipMessage {
  const r = parseMessage(input);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.message;
}

function errorCode(input: string | Uint8Array): string {
  const r = parseMessage(input);
  return r.ok ? "ok" : r.error.code;
}

describe("RFC 3261 §7.1 Request-Line", () => {
  it("parses method, Request-URI and headers in order", () => {
    const m = parsed(OPTIONS);
    expect(m.kind).toBe("request");
    if (m.kind !== "request") return;
    expect(m.method).toBe("OPTIONS");
    expect(m.uri).toBe("sip:bob@example.com");
    expect(m.headers.map((h) => h.key)).toEqual([
      "via",
      "max-forwards",
      "to",
      "from",
      "call-id",
      "cseq",
      "content-length",
    ]);
    expect(m.body.byteLength).toBe(0);
  });
  it("rejects more than one SP between elements (RFC 4475 §3.1.2.9)", () => {
    expect(errorCode(OPTIONS.replace("OPTIONS sip:", "OPTIONS  sip:"))).toBe("SIP_ERR_START_LINE");
  });
  it("rejects trailing SP after the version (RFC 4475 §3.1.2.10)", () => {
    expect(errorCode(OPTIONS.replace("SIP/2.0\r\n", "SIP/2.0 \r\n"))).toBe("SIP_ERR_START_LINE");
  });
  it("reports an unknown version as SIP_ERR_VERSION for a 505 (RFC 3261 §21.5.6)", () => {
    expect(errorCode(OPTIONS.replace("SIP/2.0\r\n", "SIP/7.0\r\n"))).toBe("SIP_ERR_VERSION");
  });
  it("rejects a Request-URI in <> (RFC 4475 §3.1.2.7)", () => {
    expect(errorCode(OPTIONS.replace("sip:bob@example.com SIP", "<sip:bob@example.com> SIP"))).toBe(
      "SIP_ERR_REQUEST_URI",
    );
  });
  it("rejects a method that is not a token", () => {
    expect(errorCode(OPTIONS.replace("OPTIONS sip", "OPT,IONS sip"))).toBe("SIP_ERR_START_LINE");
  });
  it("accepts an unknown URI scheme (RFC 4475 §3.3.2)", () => {
    const m = parsed(
      OPTIONS.replace("sip:bob@example.com SIP", "nobodyKnowsThisScheme:totallyopaquecontent SIP"),
    );
    expect(m.kind === "request" && m.uri).toBe("nobodyKnowsThisScheme:totallyopaquecontent");
  });
});

describe("RFC 3261 §7.2 Status-Line", () => {
  const resp = (line: string): string =>
    crlf([line, "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "CSeq: 1 INVITE", "Content-Length: 0", "", ""]);
  it("parses status and reason", () => {
    const m = parsed(resp("SIP/2.0 180 Ringing"));
    expect(m.kind === "response" && [m.status, m.reason]).toEqual([180, "Ringing"]);
  });
  it("accepts an empty reason phrase (RFC 4475 §3.1.1.13)", () => {
    const m = parsed(resp("SIP/2.0 100 "));
    expect(m.kind === "response" && [m.status, m.reason]).toEqual([100, ""]);
  });
  it("keeps a UTF-8 reason phrase (RFC 4475 §3.1.1.12)", () => {
    const m = parsed(resp("SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять"));
    expect(m.kind === "response" && m.reason).toBe("= 2**3 * 5**2 но сто девяносто девять");
  });
  it("rejects a status code that is not three digits (RFC 4475 §3.1.2.19)", () => {
    expect(errorCode(resp("SIP/2.0 4294967301 better not break the receiver"))).toBe("SIP_ERR_START_LINE");
    expect(errorCode(resp("SIP/2.0 99 Low"))).toBe("SIP_ERR_START_LINE");
  });
});

describe("RFC 3261 §7.3.1 header folding and names", () => {
  it("unfolds continuation lines into one space", () => {
    const m = parsed(
      OPTIONS.replace("CSeq: 63104 OPTIONS", "CSeq: 63104\r\n   OPTIONS").replace(
        "Max-Forwards: 70",
        "Subject: a\r\n\tb\r\n c\r\nMax-Forwards: 70",
      ),
    );
    expect(getHeader(m, "cseq")).toBe("63104 OPTIONS");
    expect(getHeader(m, "subject")).toBe("a b c");
  });
  it("allows whitespace before the colon and an empty value", () => {
    const m = parsed(OPTIONS.replace("Max-Forwards: 70", "Subject   :\r\nMax-Forwards  : 70"));
    expect(getHeader(m, "Subject")).toBe("");
    expect(getHeader(m, "max-forwards")).toBe("70");
  });
  it("maps compact forms and any case to the same key (RFC 3261 §7.3.3)", () => {
    const m = parsed(
      OPTIONS.replace("Via:", "v:")
        .replace("To:", "t:")
        .replace("From:", "F:")
        .replace("Call-ID:", "i:")
        .replace("Content-Length:", "l:"),
    );
    expect(m.headers.map((h) => h.key)).toEqual([
      "via",
      "max-forwards",
      "to",
      "from",
      "call-id",
      "cseq",
      "content-length",
    ]);
    expect(m.headers[0]?.name).toBe("v");
    expect(getTopVia(m)?.branch).toBe("z9hG4bK776asdhds");
  });
  it("rejects a header line without a colon but still returns the headers for a 400", () => {
    const r = parseMessage(OPTIONS.replace("Max-Forwards: 70", "Max-Forwards 70"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("SIP_ERR_HEADER");
    expect(r.error.partial?.method).toBe("OPTIONS");
    expect(r.error.partial?.headers.map((h) => h.key)).toContain("call-id");
  });
  it("rejects a continuation line before any header", () => {
    expect(errorCode(OPTIONS.replace("\r\nVia:", "\r\n folded\r\nVia:"))).toBe("SIP_ERR_HEADER");
  });
  it("rejects bare LF and bare CR inside the header section", () => {
    expect(errorCode(OPTIONS.replace("Max-Forwards: 70\r\n", "Max-Forwards: 70\nX: y\r\n"))).toBe(
      "SIP_ERR_HEADER",
    );
    expect(errorCode(OPTIONS.replace("Max-Forwards: 70\r\n", "Max-Forwards: 70\rX: y\r\n"))).toBe(
      "SIP_ERR_HEADER",
    );
  });
  it("keeps unknown headers verbatim and in order", () => {
    const m = parsed(
      OPTIONS.replace("Max-Forwards: 70", 'X-B: 2\r\nX-A:   one, "two, three"  \r\nMax-Forwards: 70'),
    );
    expect(m.headers.slice(1, 3)).toEqual([
      { name: "X-B", key: "x-b", value: "2" },
      { name: "X-A", key: "x-a", value: 'one, "two, three"' },
    ]);
    expect(getHeaders(m, "x-a")).toEqual(["one", '"two, three"']);
  });
});

describe("RFC 3261 §7.3.1 multi-value headers", () => {
  it("splits Via across lines and commas, top first", () => {
    const m = parsed(
      OPTIONS.replace(
        "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds",
        "Via: SIP/2.0/TCP a.example.com;branch=z9hG4bKa, SIP/2.0/UDP b.example.com:5070;branch=z9hG4bKb\r\nVia: SIP/2.0/UDP c.example.com;branch=z9hG4bKc",
      ),
    );
    expect(getVias(m).map((v) => v.branch)).toEqual(["z9hG4bKa", "z9hG4bKb", "z9hG4bKc"]);
    expect(getVias(m)[1]?.port).toBe(5070);
  });
  it("does not split WWW-Authenticate / Authorization values", () => {
    const m = parsed(
      OPTIONS.replace(
        "Max-Forwards: 70",
        'Authorization: Digest username="a", realm="b, c", nonce="n"\r\nMax-Forwards: 70',
      ),
    );
    expect(getHeaders(m, "authorization")).toEqual(['Digest username="a", realm="b, c", nonce="n"']);
  });
  it("rejects empty elements in Via and Contact lists (RFC 4475 §3.1.2.1)", () => {
    expect(errorCode(OPTIONS.replace(";branch=z9hG4bK776asdhds", ";;,;,,"))).toBe("SIP_ERR_HEADER");
    expect(
      errorCode(
        OPTIONS.replace("Max-Forwards: 70", 'Contact: "Joe" <sip:joe@example.org>;;;;\r\nMax-Forwards: 70'),
      ),
    ).toBe("SIP_ERR_HEADER");
  });
});

describe("RFC 3261 §18.3 framing of datagrams and §20.14 Content-Length", () => {
  const withBody = (cl: string | undefined, body: string): string =>
    crlf([
      "MESSAGE sip:bob@example.com SIP/2.0",
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
      "CSeq: 1 MESSAGE",
      ...(cl === undefined ? [] : [`Content-Length: ${cl}`]),
      "",
      body,
    ]);
  it("takes the body from Content-Length", () => {
    expect(Buffer.from(parsed(withBody("5", "hello")).body).toString()).toBe("hello");
  });
  it("truncates the data to a smaller Content-Length", () => {
    expect(Buffer.from(parsed(withBody("3", "hello")).body).toString()).toBe("hel");
  });
  it("uses the rest of a datagram when Content-Length is absent", () => {
    expect(Buffer.from(parsed(withBody(undefined, "hello")).body).toString()).toBe("hello");
  });
  it("rejects a Content-Length larger than the data (RFC 4475 §3.1.2.2)", () => {
    expect(errorCode(withBody("9999", "hello"))).toBe("SIP_ERR_CONTENT_LENGTH");
  });
  it("rejects a negative Content-Length (RFC 4475 §3.1.2.3)", () => {
    expect(errorCode(withBody("-999", "hello"))).toBe("SIP_ERR_CONTENT_LENGTH");
  });
  it("rejects conflicting Content-Length values (RFC 4475 §3.3.9: framing undefined)", () => {
    expect(errorCode(withBody("5\r\nl: 3", "hello"))).toBe("SIP_ERR_CONTENT_LENGTH");
  });
  it("requires Content-Length when asked (streams)", () => {
    const r = parseMessage(withBody(undefined, "hello"), { requireContentLength: true });
    expect(!r.ok && r.error.code).toBe("SIP_ERR_CONTENT_LENGTH");
  });
  it("counts Content-Length in bytes for a string input with UTF-8 body", () => {
    expect(Buffer.from(parsed(withBody("6", "héllo")).body).toString()).toBe("héllo");
  });
  it("ignores CRLFs before the start line (RFC 3261 §7.5)", () => {
    expect(parsed("\r\n\r\n" + OPTIONS).kind).toBe("request");
  });
  it("reports an unterminated header section and empty input", () => {
    expect(errorCode(OPTIONS.slice(0, -4))).toBe("SIP_ERR_HEADERS_UNTERMINATED");
    expect(errorCode("")).toBe("SIP_ERR_EMPTY");
    expect(errorCode("\r\n\r\n")).toBe("SIP_ERR_EMPTY");
  });
  it("accepts a Uint8Array that is a view into a larger buffer", () => {
    const big = Buffer.from("XXXX" + OPTIONS + "YYYY");
    const view = new Uint8Array(big.buffer, big.byteOffset + 4, big.length - 8);
    expect(parsed(view).kind).toBe("request");
  });
});

describe("RFC 3261 §8.1.1 mandatory header values (strict checks)", () => {
  it("rejects CSeq above 2^32-1 and Max-Forwards above 255 (RFC 4475 §3.1.2.4)", () => {
    expect(errorCode(OPTIONS.replace("63104 OPTIONS", "36893488147419103232 OPTIONS"))).toBe(
      "SIP_ERR_HEADER",
    );
    expect(errorCode(OPTIONS.replace("Max-Forwards: 70", "Max-Forwards: 300"))).toBe("SIP_ERR_HEADER");
  });
  it("rejects a CSeq method that differs from the Request-Line (RFC 4475 §3.1.2.17)", () => {
    expect(errorCode(OPTIONS.replace("63104 OPTIONS", "63104 INVITE"))).toBe("SIP_ERR_CSEQ_MISMATCH");
  });
  it("accepts leading zeros (RFC 4475 §3.1.1.1)", () => {
    const m = parsed(
      OPTIONS.replace("63104 OPTIONS", "0009 OPTIONS").replace("Max-Forwards: 70", "Max-Forwards: 0068"),
    );
    expect(getCSeq(m)).toEqual({ seq: 9, method: "OPTIONS" });
  });
  it("rejects an unterminated quoted display name (RFC 4475 §3.1.2.6)", () => {
    expect(
      errorCode(OPTIONS.replace("To: <sip:bob@example.com>", 'To: "Mr. J. User <sip:j.user@example.com>')),
    ).toBe("SIP_ERR_HEADER");
  });
  it("lenient mode skips the typed checks", () => {
    const r = parseMessage(OPTIONS.replace("63104 OPTIONS", "63104 INVITE"), { strict: false });
    expect(r.ok).toBe(true);
  });
  it("exposes From/To tags", () => {
    const m = parsed(OPTIONS);
    expect(getFrom(m)?.tag).toBe("1928301774");
    expect(getFrom(m)?.displayName).toBe("Alice");
    expect(getTo(m)?.tag).toBeUndefined();
  });
});

describe("Limits: bounded on hostile input", () => {
  it("refuses a message over the size limit", () => {
    expect(errorCode(OPTIONS + "x".repeat(70000))).toBe("SIP_ERR_TOO_LARGE");
    expect(parseMessage(OPTIONS, { maxMessageSize: 100 }).ok).toBe(false);
  });
  it("refuses too many header lines", () => {
    const many = OPTIONS.replace(
      "Max-Forwards: 70",
      Array.from({ length: 300 }, (_, i) => `X-H${i}: v`).join("\r\n") + "\r\nMax-Forwards: 70",
    );
    expect(errorCode(many)).toBe("SIP_ERR_TOO_LARGE");
  });
  it("refuses an over-long header line", () => {
    expect(
      parseMessage(OPTIONS.replace("Max-Forwards: 70", "X: " + "a".repeat(200)), { maxLineLength: 100 }).ok,
    ).toBe(false);
  });
  it("handles 60 KB of commas, quotes and brackets in one header (linear scans)", () => {
    const big = { maxLineLength: 65535 };
    const r1 = parseMessage(
      OPTIONS.replace(";branch=z9hG4bK776asdhds", ";branch=z9hG4bK1" + ",".repeat(60000)),
      big,
    );
    expect(!r1.ok && r1.error.code).toBe("SIP_ERR_HEADER");
    const r2 = parseMessage(
      OPTIONS.replace("Max-Forwards: 70", "Contact: " + '"'.repeat(60001) + "\r\nMax-Forwards: 70"),
      big,
    );
    expect(!r2.ok && r2.error.code).toBe("SIP_ERR_HEADER");
    const r3 = parseMessage(
      OPTIONS.replace(
        "Max-Forwards: 70",
        "Route: " + "<".repeat(30000) + ">".repeat(30000) + "\r\nMax-Forwards: 70",
      ),
      big,
    );
    expect(r3.ok).toBe(false);
  });
  it("carries NUL bytes inside values without truncating", () => {
    const m = parsed(OPTIONS.replace("Max-Forwards: 70", "X-Nul: a\u0000b\r\nMax-Forwards: 70"));
    expect(getHeader(m, "x-nul")).toBe("a\u0000b");
  });
});
