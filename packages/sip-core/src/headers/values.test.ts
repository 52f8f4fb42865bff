import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCallId } from "./typed.js";
import { parseMessage } from "../message/parse.js";
import { parseCallId } from "./values.js";

/** RFC 3261 §25.1 callid = word [ "@" word ], word = 1*(alphanum / - . ! % * _ + ` ' ~ ( ) < > : \ " / [ ] ? { }). */
const CALLID = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;

const pieces = [
  "a",
  "Z9",
  "@",
  "@@",
  "-",
  ".",
  '"',
  "\\",
  "<>",
  "[]",
  "?{}",
  " ",
  "\t",
  ";",
  ",",
  "=",
  "\u00e9",
  "\u2603",
];
const candidate = fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((a) => a.join(""));

describe("RFC 3261 §20.8 Call-ID: word [ @ word ] in one pass", () => {
  it("accepts exactly what the grammar accepts, from a string (property)", () => {
    fc.assert(
      fc.property(candidate, (s) => {
        expect(parseCallId(s).ok, JSON.stringify(s)).toBe(CALLID.test(s));
      }),
      { numRuns: 3000 },
    );
  });
  it("gives the same verdicts over the message bytes, after non-ASCII text too", () => {
    fc.assert(
      fc.property(candidate, fc.boolean(), (id, nonAscii) => {
        const value = id.replace(/^[ \t]+|[ \t]+$/g, "");
        const text = [
          "OPTIONS sip:b@h SIP/2.0",
          "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
          nonAscii ? 'From: "Zo\u00eb" <sip:a@h>;tag=1' : "From: <sip:a@h>;tag=1",
          "To: <sip:b@h>",
          `Call-ID: ${value}`,
          "CSeq: 1 OPTIONS",
          "Content-Length: 0",
          "",
          "",
        ].join("\r\n");
        const r = parseMessage(text);
        expect(r.ok, JSON.stringify(value)).toBe(CALLID.test(value));
        if (r.ok) expect(getCallId(r.message)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });
  it("pins the edges: @ at either end, two @, empty, one character", () => {
    for (const good of ["a", "a@b", "@".padStart(2, "x") + "y", '"@"', "a.b@[::1]"])
      expect(parseCallId(good).ok, good).toBe(true);
    for (const bad of ["", "@", "@a", "a@", "a@@b", "a@b@c", "a b", "a\u00e9"])
      expect(parseCallId(bad).ok, bad).toBe(false);
  });
});
