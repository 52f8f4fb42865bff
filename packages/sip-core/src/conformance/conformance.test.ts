import { describe, expect, it } from "vitest";
import { parseMessage } from "../message/parse.js";
import { CASES } from "./cases.js";

const bySection = new Map<string, typeof CASES>();
for (const c of CASES) {
  const section = c.source.replace(/ \(.*\)$/, "").replace(/(§\d+\.\d+)(\.\d+)*$/, "$1");
  bySection.set(section, [...(bySection.get(section) ?? []), c]);
}

for (const [section, cases] of bySection) {
  describe(`${section} conformance cases`, () => {
    for (const c of cases) {
      if (c.valid) {
        it(`${c.name} (${c.source}) parses with its meaning`, () => {
          const r = parseMessage(c.wire);
          if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
          expect(c.meaning(r.message)).toEqual(c.expected);
        });
      } else {
        it(`${c.name} (${c.source}) is rejected with ${c.code}`, () => {
          const r = parseMessage(c.wire);
          expect(r.ok ? "parsed" : r.error.code).toBe(c.code);
        });
      }
    }
  });
}
