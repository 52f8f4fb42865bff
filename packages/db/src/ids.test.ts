import { expect, it } from "vitest";
import { newId, orderedId } from "./ids.js";

it("orderedId sorts by time and keeps newId's shape", () => {
  const a = orderedId("dlv", 1_000);
  const b = orderedId("dlv", 2_000);
  expect(a).toMatch(/^dlv_[0-9a-hjkmnp-tv-z]{20}$/);
  expect(a < b).toBe(true);
  const same = new Set(Array.from({ length: 1000 }, () => orderedId("att", 5)));
  expect(same.size).toBe(1000);
});

it("newId is 20 random base32 characters after the prefix", () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newId("call")));
  expect(ids.size).toBe(1000);
  for (const id of ids) expect(id).toMatch(/^call_[0-9a-hjkmnp-tv-z]{20}$/);
});
