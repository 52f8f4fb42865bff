import { describe, expect, it } from "vitest";
import type { TrunkNumberFormat } from "@hookline/db";
import { fromE164, looksLikePhoneNumber, toE164 } from "./number-format.js";

const plain: TrunkNumberFormat = {
  countryCode: null,
  nationalPrefix: null,
  techPrefix: null,
  outboundFormat: "e164",
};
const us: TrunkNumberFormat = { ...plain, countryCode: "1" };
const uk: TrunkNumberFormat = {
  ...plain,
  countryCode: "44",
  nationalPrefix: "0",
  outboundFormat: "national",
};

describe("toE164 (inbound Request-URI user → E.164)", () => {
  it.each([
    ["+15551234567", plain, "+15551234567"],
    ["15551234567", plain, "+15551234567"],
    ["0015551234567", plain, "+15551234567"],
    ["5551234567", us, "+15551234567"],
    ["15551234567", us, "+15551234567"],
    ["02071234567", uk, "+442071234567"],
    ["00442071234567", uk, "+442071234567"],
    ["+1-555-123-4567", plain, "+15551234567"],
    ["%2B15551234567", plain, "+15551234567"],
    ["99#+15551234567", { ...plain, techPrefix: "99#" }, "+15551234567"],
    ["+15551234567;npdi", plain, "+15551234567"],
  ])("%s → %s", (user, format, e164) => {
    expect(toE164(user, format)).toBe(e164);
  });

  it.each([["alice"], ["+0123"], ["+1234567890123456"], ["0207"], ["%E0%A4%A"]])(
    "%s is no number",
    (user) => {
      expect(toE164(user, user === "0207" ? { ...plain, nationalPrefix: "0" } : plain)).toBeUndefined();
    },
  );
});

describe("fromE164 (outbound E.164 → carrier's format)", () => {
  it.each([
    [plain, "+15551234567"],
    [{ ...plain, outboundFormat: "digits" as const }, "15551234567"],
    [{ ...plain, techPrefix: "7#" }, "7%23+15551234567"],
  ])("%j", (format, out) => {
    expect(fromE164("+15551234567", format)).toBe(out);
  });

  it("writes national numbers with the trunk prefix, foreign ones with 00", () => {
    expect(fromE164("+442071234567", uk)).toBe("02071234567");
    expect(fromE164("+15551234567", uk)).toBe("0015551234567");
  });
});

describe("looksLikePhoneNumber", () => {
  it("tells numbers from user names", () => {
    expect(looksLikePhoneNumber("+15551234567")).toBe(true);
    expect(looksLikePhoneNumber("5551234567")).toBe(true);
    expect(looksLikePhoneNumber("911")).toBe(true);
    expect(looksLikePhoneNumber("alice")).toBe(false);
    expect(looksLikePhoneNumber("bob2")).toBe(false);
    expect(looksLikePhoneNumber("12")).toBe(false);
  });
});
