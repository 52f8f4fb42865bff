import { describe, expect, it } from "vitest";
import { parseMessage } from "../message/parse.js";
import { REDACTED, redactHeaders, redactHeaderValue } from "./redact.js";

describe("credential redaction (SPEC §4)", () => {
  const parsed = parseMessage(
    "INVITE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n" +
      "To: <sip:bob@b>\r\nCall-ID: c\r\nCSeq: 2 INVITE\r\n" +
      'proxy-authorization: Digest username="a", realm="b", nonce="n0nce", uri="sip:bob@b", response="0123abcd"\r\n' +
      'Authorization: Digest username="a", realm="c", nonce="x", uri="sip:bob@b", response="y"\r\n' +
      "X-Keep: me\r\nContent-Length: 0\r\n\r\n",
  );
  if (!parsed.ok) throw new Error("test message does not parse");
  const m = parsed.message;

  it("replaces Authorization and Proxy-Authorization values, whatever their spelling", () => {
    const out = redactHeaders(m.headers);
    expect(out.filter((h) => h.value === REDACTED).map((h) => h.name)).toEqual([
      "proxy-authorization",
      "Authorization",
    ]);
    expect(out.map((h) => h.value).join("\n")).not.toMatch(/n0nce|0123abcd/);
    expect(out.find((h) => h.key === "x-keep")?.value).toBe("me");
  });

  it("leaves the message itself untouched (the stack still needs the credentials)", () => {
    redactHeaders(m.headers);
    expect(m.headers.find((h) => h.key === "proxy-authorization")?.value).toContain("0123abcd");
    expect(redactHeaderValue("authorization", "Digest x")).toBe(REDACTED);
    expect(redactHeaderValue("www-authenticate", "Digest x")).toBe("Digest x");
  });
});
