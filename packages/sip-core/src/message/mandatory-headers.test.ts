import { describe, expect, it } from "vitest";
import { missingMandatoryHeader } from "./mandatory-headers.js";
import { parseMessage } from "./parse.js";

const full = [
  "OPTIONS sip:gw SIP/2.0",
  "v: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1",
  "f: <sip:a@b>;tag=1",
  "t: <sip:gw>",
  "i: c1",
  "CSeq: 1 OPTIONS",
];

function request(lines: string[]) {
  const r = parseMessage(`${lines.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`);
  if (!r.ok || r.message.kind !== "request") throw new Error("test request does not parse");
  return r.message;
}

describe("RFC 3261 §8.1.1 mandatory request headers", () => {
  it("finds nothing missing in a complete request written with compact forms (§7.3.3)", () => {
    expect(missingMandatoryHeader(request(full))).toBeUndefined();
  });

  it("names the first missing header in its usual spelling, Via first", () => {
    expect(missingMandatoryHeader(request(full.filter((l) => !l.startsWith("i:"))))).toBe("Call-ID");
    expect(missingMandatoryHeader(request(full.filter((l) => !l.startsWith("CSeq"))))).toBe("CSeq");
    expect(missingMandatoryHeader(request(full.slice(0, 1)))).toBe("Via");
  });

  it("RFC 4475 §3.1.2.18 insuf: parses, and lacks Call-ID, From and To", () => {
    const insuf = request([
      "INVITE sip:user@example.com SIP/2.0",
      "CSeq: 193942 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf",
    ]);
    expect(missingMandatoryHeader(insuf)).toBe("From");
  });
});
