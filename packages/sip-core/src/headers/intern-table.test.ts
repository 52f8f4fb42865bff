import { describe, expect, it } from "vitest";
import { internBefore, internHashStep, internTable } from "./intern-table.js";

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

describe("RFC 3261 §25.1 auth-param names as usually written: name directly before =", () => {
  const before = internBefore(["nonce", "nc", "uri", "userhash", "x-a.b+c"], 0x3d);
  it("finds a word written as given and directly followed by =, inside a larger buffer", () => {
    const b = bytes(', nonce="1", nc=2,uri="u",userhash=t,x-a.b+c=1');
    expect([before(b, 2, b.length), before(b, 13, b.length), before(b, 18, b.length)]).toEqual([
      "nonce",
      "nc",
      "uri",
    ]);
    expect([before(b, 26, b.length), before(b, 37, b.length)]).toEqual(["userhash", "x-a.b+c"]);
  });
  it("leaves any other spelling to the caller (undefined)", () => {
    for (const s of [
      "Nonce=1",
      "NC=1",
      "nonce =1",
      "nonce\t=1",
      "noncex=1",
      "nonc=1",
      "n=1",
      "nc",
      "=1",
      "\u00e9=1",
    ]) {
      const b = bytes(s);
      expect(before(b, 0, b.length), s).toBeUndefined();
    }
  });
  it("does not read the = past the end of the range", () => {
    const b = bytes("nc=1");
    expect([before(b, 0, 2), before(b, 0, 3)]).toEqual([undefined, "nc"]);
  });
  it("refuses upper-case and empty words", () => {
    expect(() => internBefore(["Nc"], 0x3d)).toThrow(TypeError);
    expect(() => internBefore([""], 0x3d)).toThrow(TypeError);
  });
});
