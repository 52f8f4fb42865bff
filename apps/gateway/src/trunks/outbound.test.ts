import { describe, expect, it } from "vitest";
import type { DialContact } from "../b2bua/ports.js";
import { callerIdentity } from "./outbound.js";
import type { TrunkRecord } from "./trunk-directory.js";

const trunk = (over: Partial<TrunkRecord> = {}) =>
  ({
    callerId: { number: "+15550009999", assertIdentity: true },
    numberFormat: { countryCode: "1", nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
    ...over,
  }) as TrunkRecord;
const contact: DialContact = {
  contact: "sip:+15557770001@203.0.113.10:5060",
  target: "sip:+15557770001@203.0.113.10",
  flow: { transport: "udp", remoteAddress: "203.0.113.10", remotePort: 5060 },
};

describe("caller id toward a carrier (RFC 3325, RFC 3323)", () => {
  it("puts the caller's assigned number in From and P-Asserted-Identity", () => {
    expect(
      callerIdentity(trunk(), contact, { from: "sip:alice@a.test", number: "+15550000001", privacy: false }),
    ).toEqual({
      from: "sip:+15550000001@203.0.113.10",
      headers: [["P-Asserted-Identity", "<sip:+15550000001@203.0.113.10>"]],
    });
  });

  it("prefers the dial's callerId, then an E.164 From user; an extension falls back to the trunk's number", () => {
    const caller = { from: "sip:+14155550100@198.51.100.7", privacy: false };
    expect(callerIdentity(trunk(), contact, { ...caller, callerId: "+15551112222" }).from).toBe(
      "sip:+15551112222@203.0.113.10",
    );
    expect(callerIdentity(trunk(), contact, caller).from).toBe("sip:+14155550100@203.0.113.10");
    expect(callerIdentity(trunk(), contact, { from: "sip:1001@a.test", privacy: false }).from).toBe(
      "sip:+15550009999@203.0.113.10",
    );
  });

  it("hides the caller who asked for privacy, still asserting who it is", () => {
    expect(
      callerIdentity(trunk(), contact, { from: "sip:alice@a.test", number: "+15550000001", privacy: true }),
    ).toEqual({
      from: "sip:anonymous@anonymous.invalid",
      headers: [
        ["P-Asserted-Identity", "<sip:+15550000001@203.0.113.10>"],
        ["Privacy", "id"],
      ],
    });
  });

  it("sends no P-Asserted-Identity when the trunk does not assert identities", () => {
    const t = trunk({ callerId: { number: null, assertIdentity: false } });
    expect(
      callerIdentity(t, contact, { from: "sip:alice@a.test", number: "+15550000001", privacy: false })
        .headers,
    ).toEqual([]);
  });
});
