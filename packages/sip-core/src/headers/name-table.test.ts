import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../message/parse.js";
import { COMPACT_FORMS, headerDisplayName, headerKey, KNOWN_KEYS } from "./header-names.js";
import { entryKey, entryUsual, usualNameAt } from "./name-table.js";

const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");

/** Every name of the table in its usual spelling: `Via`, `Call-ID`, `v`. */
const USUAL_NAMES = [...KNOWN_KEYS.map(headerDisplayName), ...Object.keys(COMPACT_FORMS)];

/** The header lines of a minimal request carrying `line`, parsed without the typed checks. */
function headersWith(line: string): Array<{ name: string; key: string; value: string }> | string {
  const text = ["OPTIONS sip:b@h SIP/2.0", line, "Call-ID: c1", "", ""].join("\r\n");
  const r = parseMessage(text, { strict: false });
  return r.ok ? r.message.headers.map((h) => ({ name: h.name, key: h.key, value: h.value })) : r.error.code;
}

describe("RFC 3261 §7.3.1 header names: the usual spelling in one pass", () => {
  it("finds every name spelled as usual and directly followed by the colon", () => {
    for (const name of USUAL_NAMES) {
      const line = bytes(`xx${name}: v\r\n`);
      const e = usualNameAt(line, 2, line.length - 2);
      expect(e, name).toBeGreaterThanOrEqual(0);
      expect([entryUsual(e), entryKey(e)]).toEqual([name, headerKey(name)]);
    }
  });
  it("leaves every other spelling to the general lookup (-1)", () => {
    for (const line of [
      "via: x", // another case
      "VIA: x",
      "Via : x", // whitespace before the colon
      "Via\t: x",
      "Viax: x", // a longer name with a known prefix
      "Via-X: x",
      "Call-IDs: x",
      "X-Via: x", // unknown
      "Via", // no colon within the line
      "Via;x: y",
      ": x",
      "\u00e9: x",
    ]) {
      const b = bytes(line);
      expect(usualNameAt(b, 0, b.length), line).toBe(-1);
    }
  });
  it("does not read the colon past the end of the line", () => {
    const b = bytes("Via\r\n: x");
    expect(usualNameAt(b, 0, 3)).toBe(-1);
    expect(usualNameAt(b, 0, b.length)).toBe(-1); // CR after Via, not a colon
    const c = bytes("Via:");
    expect(usualNameAt(c, 0, 3)).toBe(-1);
    expect(usualNameAt(c, 0, 4)).toBe(0);
  });
  it("parses names in any case, with whitespace before the colon, compact, unknown, folded, as before", () => {
    expect(headersWith("Via: SIP/2.0/UDP h")[0]).toEqual({ name: "Via", key: "via", value: "SIP/2.0/UDP h" });
    expect(headersWith("VIA: a")[0]).toEqual({ name: "VIA", key: "via", value: "a" });
    expect(headersWith("vIa \t: a")[0]).toEqual({ name: "vIa", key: "via", value: "a" });
    expect(headersWith("v:a")[0]).toEqual({ name: "v", key: "via", value: "a" });
    expect(headersWith("V:a")[0]).toEqual({ name: "V", key: "via", value: "a" });
    expect(headersWith("Viax: a")[0]).toEqual({ name: "Viax", key: "viax", value: "a" });
    expect(headersWith("Call-IDs: a")[0]).toEqual({ name: "Call-IDs", key: "call-ids", value: "a" });
    expect(headersWith("Subject: a\r\n b\r\n\tc")[0]).toEqual({
      name: "Subject",
      key: "subject",
      value: "a b c",
    });
    expect(headersWith("Subject:")[0]).toEqual({ name: "Subject", key: "subject", value: "" });
    expect(headersWith("Via")).toBe("SIP_ERR_HEADER");
    expect(headersWith("Via\r\n : a")).toBe("SIP_ERR_HEADER");
    expect(headersWith("Vi a: x")).toBe("SIP_ERR_HEADER");
  });
  it("gives every spelling of every name the key headerKey gives it (property)", () => {
    const spelling = fc
      .tuple(
        fc.constantFrom(...USUAL_NAMES),
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        fc.constantFrom("", " ", "\t", "  "),
      )
      .map(([name, upper, ws]) => {
        const written = [...name].map((ch, i) => (upper[i] === true ? ch.toUpperCase() : ch)).join("");
        return { written, ws };
      });
    fc.assert(
      fc.property(spelling, fc.boolean(), ({ written, ws }, usual) => {
        const name = usual ? headerDisplayName(headerKey(written)) : written;
        // "0": a value every header takes without the typed checks, Content-Length included.
        const h = headersWith(`${name}${ws}: 0`);
        expect(typeof h === "string" ? h : h[0]).toEqual({ name, key: headerKey(name), value: "0" });
      }),
    );
  });
});
