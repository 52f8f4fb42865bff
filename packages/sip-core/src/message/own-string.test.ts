import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ownString } from "./own-string.js";

describe("ownString", () => {
  it("copies every string exactly, lone surrogates, quotes, escapes and control characters included", () => {
    for (const s of ["", 'a "quoted" \\ value', "\u0000\u001f\r\n\t", "\ud800", "x\udc00y", "ü€😀"]) {
      expect(ownString(s)).toBe(s);
    }
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => ownString(s) === s));
  });
});
