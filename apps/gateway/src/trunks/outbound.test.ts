import { describe, expect, it } from "vitest";
import type { CallControl, DialContact, DialRequest } from "../b2bua/ports.js";
import { callerIdentity, TrunkCalls } from "./outbound.js";
import type { AdmitOutboundResult, TrunkAdmission } from "./ports.js";
import type { TrunkDirectory, TrunkRecord } from "./trunk-directory.js";

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

describe("TrunkCalls.dial and the fraud guard", () => {
  const record = {
    ...trunk(),
    id: "trk_1",
    name: "carrier-a",
    outboundTargets: [{ host: "203.0.113.10", port: 5060, transport: "udp", priority: 0 }],
    outboundUsername: null,
    outboundPassword: null,
  } as TrunkRecord;
  const route = { trunk: record, destination: "+15557770001" };
  const events: string[] = [];
  const admission = (result: AdmitOutboundResult): TrunkAdmission => ({
    admitOutbound: () => result,
    onCallStarted: (c) => events.push(`started ${c.callId}`),
    onCallEnded: (c) => events.push(`ended ${c.callId} ${c.durationSec}`),
  });
  const call = (dial: CallControl["dial"]) =>
    ({
      id: "call_1",
      accountId: "acc_1",
      ended: false,
      log: { warn() {}, info() {} },
      dial,
    }) as unknown as CallControl;
  const calls = (result: AdmitOutboundResult) =>
    new TrunkCalls({
      directory: {} as TrunkDirectory,
      admission: admission(result),
      onCallAnswered: (c) => events.push(`answered ${c.callId}`),
    });
  const caller = { from: "sip:alice@a.test", privacy: false };

  it("a refusal carries its reason for the record and Retry-After for a 503, and dials nothing", async () => {
    events.length = 0;
    let dialled = false;
    const outcome = await calls({ ok: false, status: 503, reason: "at the limit", retryAfterSec: 5 }).dial(
      call(() => {
        dialled = true;
        return Promise.reject(new Error("not expected"));
      }),
      route,
      { timeoutMs: 1000, caller },
    );
    expect(outcome).toMatchObject({
      status: "failed",
      sipStatus: 503,
      endReason: "at the limit",
      retryAfterSec: 5,
    });
    expect(dialled).toBe(false);
    expect(events).toEqual([]);
  });

  it("tells the guard of the 2xx, and of the end with the call's duration; the leg names the trunk", async () => {
    events.length = 0;
    let request: DialRequest | undefined;
    const outcome = await calls({ ok: true }).dial(
      call((r) => {
        request = r;
        r.onAnswered?.("sip:+15557770001@203.0.113.10");
        return Promise.resolve({
          status: "answered",
          sipStatus: 200,
          reason: "OK",
          answeredBy: "x",
          durationSec: 42,
        });
      }),
      route,
      { timeoutMs: 1000, caller },
    );
    expect(outcome.status).toBe("answered");
    expect(request?.groups[0]?.[0]?.trunkId).toBe("trk_1");
    expect(events).toEqual(["started call_1#1", "answered call_1#1", "ended call_1#1 42"]);
  });

  it("judges a sip: URI's user as the trunk's number rules read it, and escapes it for the Request-URI", async () => {
    const judged: string[] = [];
    let request: DialRequest | undefined;
    const t = new TrunkCalls({
      directory: {} as TrunkDirectory,
      admission: {
        admitOutbound: (c) => (judged.push(c.destination), { ok: true }),
        onCallStarted: () => {},
        onCallEnded: () => {},
      },
    });
    // 00 + 1 900 ...: the international prefix spelling of +1900, which a deny-list of +1900 names.
    await t.dial(
      call((r) => ((request = r), Promise.resolve({ status: "failed", sipStatus: 486 }) as never)),
      { trunk: record, destination: "0019005550100" },
      { timeoutMs: 1000, caller },
    );
    expect(judged).toEqual(["+19005550100"]);
    // RFC 3261 §25.1: a user with # (a PBX feature code) goes out %-escaped.
    await t.dial(
      call((r) => ((request = r), Promise.resolve({ status: "failed", sipStatus: 486 }) as never)),
      { trunk: record, destination: "*72#100" },
      { timeoutMs: 1000, caller },
    );
    expect(request?.groups[0]?.[0]?.contact).toBe("sip:*72%23100@203.0.113.10:5060");
  });
});

describe("TrunkCalls.contacts: one per target, in priority order", () => {
  it("dials a TLS target over TLS, verifying the configured host name, beside UDP and TCP ones", async () => {
    const record = {
      ...trunk(),
      id: "trk_1",
      outboundTargets: [
        { host: "sip.carrier.example", port: 5061, transport: "tls", priority: 0 },
        { host: "203.0.113.10", port: 5060, transport: "udp", priority: 1 },
        { host: "203.0.113.11", port: 5060, transport: "tcp", priority: 2 },
      ],
      outboundUsername: null,
      outboundPassword: null,
    } as TrunkRecord;
    const trunkCalls = new TrunkCalls({
      directory: {} as TrunkDirectory,
      resolveHost: (h) => Promise.resolve(h === "sip.carrier.example" ? "198.51.100.20" : undefined),
    });
    const contacts = await trunkCalls.contacts({ trunk: record, destination: "+15557770001" });
    expect(contacts.map((c) => [c.contact, c.flow])).toEqual([
      [
        "sip:+15557770001@sip.carrier.example:5061;transport=tls",
        {
          transport: "tls",
          remoteAddress: "198.51.100.20",
          remotePort: 5061,
          serverName: "sip.carrier.example",
        },
      ],
      [
        "sip:+15557770001@203.0.113.10:5060",
        { transport: "udp", remoteAddress: "203.0.113.10", remotePort: 5060 },
      ],
      [
        "sip:+15557770001@203.0.113.11:5060;transport=tcp",
        { transport: "tcp", remoteAddress: "203.0.113.11", remotePort: 5060 },
      ],
    ]);
  });

  it("finds the caller's own number whether or not its From URI names a port", () => {
    const t = new TrunkCalls({
      directory: {
        numberOfUser: (domainId: string, user: string) =>
          domainId === "dom_1" && user === "alice" ? "+15550000001" : undefined,
      } as unknown as TrunkDirectory,
    });
    const domain = { domainId: "dom_1", accountId: "acc_1", name: "a.test" };
    expect(t.caller(domain, "sip:alice@a.test:5060;transport=tcp", undefined, false).number).toBe(
      "+15550000001",
    );
    expect(t.caller(domain, "sip:alice@a.test", undefined, false).number).toBe("+15550000001");
    expect(t.caller(domain, "sip:alice@b.test", undefined, false).number).toBeUndefined();
  });
});
