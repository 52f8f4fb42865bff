import { describe, expect, it } from "vitest";
import { parseMessage, type SipRequest } from "@hookline/sip-core";
import { infoDigit } from "./dtmf-info.js";

function info(contentType: string | undefined, body: string): SipRequest {
  const lines = [
    "INFO sip:bob@acme.test SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
    "From: <sip:alice@acme.test>;tag=a",
    "To: <sip:bob@acme.test>;tag=b",
    "Call-ID: dtmf-1",
    "CSeq: 2 INFO",
    ...(contentType ? [`Content-Type: ${contentType}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ];
  const r = parseMessage(new TextEncoder().encode(lines.join("\r\n")));
  if (!r.ok || r.message.kind !== "request") throw new Error("bad test message");
  return r.message;
}

describe("a digit sent as SIP INFO", () => {
  it("reads application/dtmf-relay, with its duration, whatever the case and line ends", () => {
    expect(infoDigit(info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"))).toEqual({
      digit: "5",
      durationMs: 160,
    });
    expect(infoDigit(info("Application/DTMF-Relay", "signal= #\nduration=250"))).toEqual({
      digit: "#",
      durationMs: 250,
    });
    expect(infoDigit(info("application/dtmf-relay", "Signal=*"))).toEqual({ digit: "*", durationMs: null });
  });

  it("reads events 10–15 given as numbers and the bare application/dtmf body", () => {
    expect(infoDigit(info("application/dtmf-relay", "Signal=11\r\nDuration=100"))?.digit).toBe("#");
    expect(infoDigit(info("application/dtmf-relay", "Signal=10"))?.digit).toBe("*");
    expect(infoDigit(info("application/dtmf", "7"))).toEqual({ digit: "7", durationMs: null });
    expect(infoDigit(info("application/dtmf", "d"))?.digit).toBe("D");
  });

  it("is nothing for another INFO or a body that is no digit", () => {
    expect(infoDigit(info("application/json", '{"Signal":"5"}'))).toBeUndefined();
    expect(infoDigit(info(undefined, ""))).toBeUndefined();
    expect(infoDigit(info("application/dtmf-relay", "Signal=E\r\nDuration=100"))).toBeUndefined();
    expect(infoDigit(info("application/dtmf-relay", "Signal=16"))).toBeUndefined();
    expect(infoDigit(info("application/dtmf", "99"))).toBeUndefined();
  });
});
