import { describe, expect, it } from "vitest";
import { internHashStep, internTable } from "./intern-table.js";

const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");

describe("RFC 3261 §7.3.1 case-insensitive names: intern table", () => {
  const lookup = internTable(["branch", "tag", "received", "rport", "x-a.b+c"]);
  it("finds a name in any case, inside a larger buffer, as the interned string", () => {
    const b = bytes(";BrAnCh=1;tag=2;x-A.B+C");
    expect([lookup(b, 1, 7), lookup(b, 10, 13), lookup(b, 16, 23)]).toEqual(["branch", "tag", "x-a.b+c"]);
  });
  it("misses names that only share a prefix, a length or a hash slot", () => {
    const b = bytes("branchx tga rport_ ta");
    expect([
      lookup(b, 0, 7),
      lookup(b, 8, 11),
      lookup(b, 12, 18),
      lookup(b, 19, 21),
      lookup(b, 0, 0),
    ]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
  it("gives the same answers with the hash its caller folded while reading the bytes", () => {
    const b = bytes(";BrAnCh=1;tag=2;x-A.B+C;tga");
    const hashed = (i: number, j: number): string | undefined => {
      let h = 0;
      for (let k = i; k < j; k++) h = internHashStep(h, b[k] as number);
      return lookup(b, i, j, h);
    };
    expect([hashed(1, 7), hashed(10, 13), hashed(16, 23), hashed(24, 27)]).toEqual([
      "branch",
      "tag",
      "x-a.b+c",
      undefined,
    ]);
  });
  it("refuses upper-case words (the fold would never match them)", () => {
    expect(() => internTable(["Tag"])).toThrow(TypeError);
  });
});
