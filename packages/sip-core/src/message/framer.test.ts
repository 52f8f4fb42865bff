import { describe, expect, it } from "vitest";
import { getHeader } from "../headers/header-list.js";
import { StreamFramer } from "./framer.js";
import { serializeMessage, serializeMessageToString } from "./serialize.js";
import type { SipRequest } from "./types.js";

const msg = (callId: string, body = ""): string =>
  [
    "MESSAGE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/TCP h;branch=z9hG4bK1",
    `Call-ID: ${callId}`,
    "CSeq: 1 MESSAGE",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");

describe("RFC 3261 §18.3 stream framing", () => {
  it("splits back-to-back messages and tolerates CRLF keep-alives between them (RFC 5626 §3.5.1)", () => {
    const f = new StreamFramer();
    const wire = Buffer.from("\r\n\r\n" + msg("a", "hi") + "\r\n" + msg("b", "there") + "\r\n\r\n");
    const out = f.push(wire);
    expect(out.map((r) => r.ok && getHeader(r.message, "call-id"))).toEqual(["a", "b"]);
    expect(f.buffered).toBe(0);
  });
  it("reassembles a message delivered one byte at a time", () => {
    const f = new StreamFramer();
    const wire = Buffer.from(msg("one", "héllo body") + msg("two"));
    const ids: string[] = [];
    for (let i = 0; i < wire.length; i++) {
      for (const r of f.push(wire.subarray(i, i + 1)))
        if (r.ok) ids.push(getHeader(r.message, "call-id") ?? "");
    }
    expect(ids).toEqual(["one", "two"]);
  });
  it("a missing Content-Length breaks the stream", () => {
    const f = new StreamFramer();
    const out = f.push(Buffer.from(msg("x").replace("Content-Length: 0\r\n", "")));
    expect(out.map((r) => !r.ok && r.error.code)).toEqual(["SIP_ERR_CONTENT_LENGTH"]);
    expect(f.broken).toBe(true);
    expect(f.push(Buffer.from(msg("y")))).toEqual([]);
  });
  it("refuses a header section or a Content-Length beyond the size limit", () => {
    const a = new StreamFramer({ maxMessageSize: 1000 });
    expect(
      a.push(Buffer.from("INVITE sip:x SIP/2.0\r\nX: " + "a".repeat(2000))).map((r) => !r.ok && r.error.code),
    ).toEqual(["SIP_ERR_TOO_LARGE"]);
    const b = new StreamFramer({ maxMessageSize: 1000 });
    expect(
      b
        .push(Buffer.from(msg("x").replace("Content-Length: 0", "Content-Length: 5000")))
        .map((r) => !r.ok && r.error.code),
    ).toEqual(["SIP_ERR_TOO_LARGE"]);
  });
  it("a well-framed but malformed message yields its error and framing continues", () => {
    const f = new StreamFramer();
    const out = f.push(Buffer.from(msg("bad").replace("CSeq: 1 MESSAGE", "CSeq: 1 INVITE") + msg("good")));
    expect(out.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["SIP_ERR_CSEQ_MISMATCH", "ok"]);
  });
});

describe("RFC 3261 §7 serialization", () => {
  const req = (): SipRequest => ({
    kind: "request",
    method: "INFO",
    uri: "sip:b@h",
    headers: [
      { name: "v", key: "via", value: "SIP/2.0/UDP h;branch=z9hG4bK1" },
      { name: "l", key: "content-length", value: "999" },
      { name: "Content-Length", key: "content-length", value: "1" },
    ],
    body: new Uint8Array(Buffer.from("ok")),
  });
  it("rewrites the first Content-Length with the real length and drops the others", () => {
    expect(serializeMessageToString(req())).toBe(
      "INFO sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 2\r\n\r\nok",
    );
  });
  it("appends Content-Length when missing and writes binary bodies as is", () => {
    const m = req();
    m.headers = m.headers.slice(0, 1);
    m.body = new Uint8Array([0, 13, 10, 255]);
    const out = Buffer.from(serializeMessage(m));
    expect(out.subarray(-4)).toEqual(Buffer.from([0, 13, 10, 255]));
    expect(out.toString("latin1")).toContain("Content-Length: 4\r\n\r\n");
  });
  it("refuses CR/LF injected into a header value", () => {
    const m = req();
    m.headers.push({ name: "X", key: "x", value: "a\r\nVia: evil" });
    expect(() => serializeMessage(m)).toThrow(TypeError);
  });
});
