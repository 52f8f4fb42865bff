import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shadow } from "../headers/byte-scan.js";
import { SipParseError } from "./errors.js";
import { parseStartLine, usualStartLine } from "./start-line.js";

/** The byte path's answer, or the string path's where the byte path leaves the line to it. */
const fast = (line: string) => usualStartLine(line, shadow(line), 0, line.length);

describe("RFC 3261 §7.1 §7.2 start line: the usual line read over bytes", () => {
  it("reads the usual Request-Line and Status-Lines, method interned", () => {
    expect(fast("INVITE sip:bob@acme.sip.example SIP/2.0")).toEqual(
      parseStartLine("INVITE sip:bob@acme.sip.example SIP/2.0"),
    );
    expect(fast("INVITE sip:b@h SIP/2.0")?.method).toBe("INVITE");
    expect(fast("SIP/2.0 180 Ringing")).toEqual({
      kind: "response",
      method: "",
      uri: "",
      uriStart: 0,
      status: 180,
      reason: "Ringing",
    });
    expect(fast("SIP/2.0 200")?.reason).toBe("");
  });
  it("leaves unusual and invalid lines to the string parser (RFC 4475 §3.1.2.9, §3.1.2.10)", () => {
    for (const line of [
      "INVITE sip:a b SIP/2.0",
      "INVITE  sip:b@h SIP/2.0",
      "INVITE sip:b@h SIP/2.0 ",
      "INVITE sip:b@h sip/2.0",
      "INVITE sip:b@h SIP/7.0",
      "INV\u00c9TE sip:b@h SIP/2.0",
      "SIP/2.0 700 Nope",
      "SIP/2.0 20 OK",
      "SIP/2.0 2000 OK",
      "SIP/2.0 200 O\nK",
      "sip/2.0 200 OK",
    ])
      expect(fast(line)).toBeUndefined();
  });
  it("property: wherever the byte path answers, the string parser gives the same", () => {
    // Each piece is usual four times in five, so that both paths meet often.
    const of = (usual: string[], odd: string[]) =>
      fc.oneof(
        { arbitrary: fc.constantFrom(...usual), weight: 4 },
        { arbitrary: fc.constantFrom(...odd), weight: 1 },
      );
    const request = fc
      .tuple(
        of(["INVITE", "ACK", "x-Custom.1"], ["IN VITE", "", "INV\u00c9TE", "SIP/", "SIP/2.0"]),
        of([" "], ["  ", "\t", ""]),
        of(["sip:b@h", "sips:a@[::1]:5061;lr", "tel:+1", "sip:\u00e9@h"], ["sip:a\nb", "", "sip:a b"]),
        of([" "], ["  ", ""]),
        of(["SIP/2.0"], ["sip/2.0", "SIP/2.1", "SIP/2.0 ", "SIP/20", ""]),
      )
      .map((p) => p.join(""));
    const response = fc
      .tuple(
        of(["SIP/2.0"], ["sip/2.0", "SIP/3.0", "SIP/2.0 "]),
        of([" "], [""]),
        of(["200", "100", "699"], ["700", "099", "20", "2000", "2x0"]),
        of(["", " OK", " Ringing \u00e9"], [" ", " O\nK", "OK"]),
      )
      .map((p) => p.join(""));
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(request, response), (line) => {
        const got = fast(line);
        if (got === undefined) return;
        answered++;
        const want = parseStartLine(line);
        expect(want).not.toBeInstanceOf(SipParseError);
        expect(got).toEqual(want);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(300);
  });
});
