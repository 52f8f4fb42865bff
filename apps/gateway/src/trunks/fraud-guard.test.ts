import { describe, expect, it } from "vitest";
import { silentLogger } from "@hookline/log";
import type { AdmitOutboundResult, TrunkAdmission } from "./ports.js";
import { FraudGuard, type FraudGuardOptions, type OtherNodesUsage } from "./fraud-guard.js";
import { fromStoredLimits, type FraudLimits } from "./fraud-guard-limits.js";

const ACCOUNT = "acc_1";
const TRUNK = "trk_1";
/** 2026-12-05 10:00:00 UTC */
const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);

function setup(
  limits: { account?: FraudLimits; trunk?: FraudLimits },
  extra: Partial<FraudGuardOptions> = {},
) {
  const clock = { now: T0 };
  const guard = new FraudGuard({
    account: (id) => (id === ACCOUNT ? { name: "acme", limits: limits.account ?? {} } : undefined),
    trunk: (id) => (id === TRUNK ? { name: "carrier-a", limits: limits.trunk ?? {} } : undefined),
    now: () => clock.now,
    logger: silentLogger,
    ...extra,
  });
  let n = 0;
  const admit = (destination = "+15551234567") =>
    guard.admitOutbound({ accountId: ACCOUNT, trunkId: TRUNK, destination });
  /** Admits and starts a call; returns its id (or the refusal). */
  const start = (destination = "+15551234567") => {
    const r = admit(destination);
    if (!r.ok) return r;
    const callId = `c${++n}`;
    guard.onCallStarted({ accountId: ACCOUNT, trunkId: TRUNK, callId, destination });
    return callId;
  };
  const end = (callId: string, durationSec: number) =>
    guard.onCallEnded({ accountId: ACCOUNT, trunkId: TRUNK, callId, destination: "+1", durationSec });
  return { clock, guard, admit, start, end };
}

describe("destination prefixes", () => {
  it("refuses a denied prefix with 403 naming the destination, the trunk and the prefix", () => {
    const { admit } = setup({ trunk: { denyPrefixes: ["+44"] } });
    expect(admit("+447700900123")).toEqual({
      ok: false,
      status: 403,
      code: "destination_denied",
      reason: "destination +447700900123 denied by trunk carrier-a (prefix +44)",
    });
    expect(admit("+15551234567")).toEqual({ ok: true });
  });

  it("lets the deny-list win over the allow-list, in one scope and across account and trunk", () => {
    const same = setup({ trunk: { allowPrefixes: ["+1"], denyPrefixes: ["+1900"] } });
    expect(same.admit("+19005550000")).toMatchObject({ status: 403, code: "destination_denied" });
    expect(same.admit("+12125550000")).toEqual({ ok: true });
    const across = setup({ account: { denyPrefixes: ["1900"] }, trunk: { allowPrefixes: ["+1"] } });
    const r = across.admit("+19005550000");
    expect(r).toMatchObject({ status: 403, code: "destination_denied" });
    if (!r.ok) expect(r.reason).toBe("destination +19005550000 denied by account acme (prefix 1900)");
  });

  it("refuses what no allowed prefix covers; an empty allow-list allows everything", () => {
    const { admit } = setup({ account: { allowPrefixes: ["+1", "+44 20"] } });
    expect(admit("+12125550000")).toEqual({ ok: true });
    expect(admit("+442071234567")).toEqual({ ok: true });
    const r = admit("+33142685300");
    expect(r).toMatchObject({ status: 403, code: "destination_not_allowed" });
    if (!r.ok)
      expect(r.reason).toBe("destination +33142685300 is not in the allowed prefixes of account acme");
    expect(setup({ trunk: { allowPrefixes: [] } }).admit("+33142685300")).toEqual({ ok: true });
  });

  it("passes everything when neither the account nor the trunk is known to the lookups", () => {
    const clock = { now: T0 };
    const guard = new FraudGuard({ account: () => undefined, trunk: () => undefined, now: () => clock.now });
    expect(guard.admitOutbound({ accountId: "x", trunkId: "y", destination: "+1" })).toEqual({ ok: true });
  });
});

describe("concurrent calls: refused at the limit, not before", () => {
  it.each(["trunk", "account"] as const)(
    "maxConcurrent 3 on the %s: limit-1 and limit pass, limit+1 gets 503",
    (scope) => {
      const { start, end } = setup({ [scope]: { maxConcurrent: 3 } });
      const a = start();
      const b = start();
      expect(typeof a).toBe("string"); // 1
      expect(typeof b).toBe("string"); // limit-1 = 2 in progress, the third passes
      const c = start();
      expect(typeof c).toBe("string"); // 3 = the limit reached, by this call
      const refused = start() as AdmitOutboundResult; // limit+1
      expect(refused).toEqual({
        ok: false,
        status: 503,
        code: "concurrent_calls",
        retryAfterSec: 5,
        reason: `concurrent calls of ${scope === "trunk" ? "trunk carrier-a" : "account acme"} at the limit (3)`,
      });
      end(a as string, 10);
      expect(typeof start()).toBe("string");
    },
  );

  it("counts a call once however often it is started or ended", () => {
    const { guard, start, end, admit } = setup({ trunk: { maxConcurrent: 1 } });
    const a = start() as string;
    guard.onCallStarted({ accountId: ACCOUNT, trunkId: TRUNK, callId: a, destination: "+1" });
    end(a, 0);
    end(a, 0);
    expect(admit()).toEqual({ ok: true });
    expect(guard.usage("trunk", TRUNK).concurrent).toBe(0);
  });

  it("maxConcurrent 0 refuses every call", () => {
    expect(setup({ trunk: { maxConcurrent: 0 } }).admit()).toMatchObject({ status: 503 });
  });
});

describe("calls per second (token bucket on fake time)", () => {
  it("limit-1 and limit calls in one instant pass, limit+1 gets 503 with Retry-After", () => {
    const { admit, clock } = setup({ trunk: { maxCallsPerSecond: 3 } });
    expect(admit()).toEqual({ ok: true });
    expect(admit()).toEqual({ ok: true }); // limit-1
    expect(admit()).toEqual({ ok: true }); // limit
    expect(admit()).toEqual({
      ok: false,
      status: 503,
      code: "calls_per_second",
      retryAfterSec: 1,
      reason: "calls per second of trunk carrier-a at the limit (3)",
    });
    // One token comes back every 1/3 s, not before.
    clock.now += 332;
    expect(admit()).toMatchObject({ status: 503 });
    clock.now += 2;
    expect(admit()).toEqual({ ok: true });
    expect(admit()).toMatchObject({ status: 503 });
    clock.now += 1000;
    for (let i = 0; i < 3; i++) expect(admit()).toEqual({ ok: true });
    expect(admit()).toMatchObject({ status: 503 });
  });

  it("takes no token for a call another limit refuses", () => {
    const { admit } = setup({
      account: { maxCallsPerSecond: 1 },
      trunk: { denyPrefixes: ["+44"], maxCallsPerSecond: 1 },
    });
    expect(admit("+447700900123")).toMatchObject({ code: "destination_denied" });
    expect(admit()).toEqual({ ok: true });
  });

  it("a rate below one call a second says how many seconds to wait", () => {
    const { admit, clock } = setup({ account: { maxCallsPerSecond: 0.25 } });
    expect(admit()).toEqual({ ok: true });
    expect(admit()).toMatchObject({ status: 503, retryAfterSec: 4 });
    clock.now += 4000;
    expect(admit()).toEqual({ ok: true });
  });
});

describe("daily outbound minutes (UTC day)", () => {
  it("limit-1 minutes used passes; limit and limit+1 get 403", () => {
    for (const [used, ok] of [
      [59, true],
      [60, false],
      [61, false],
    ] as const) {
      const { start, end, admit } = setup({ trunk: { dailyMinutes: 60 } });
      end(start() as string, used * 60);
      const r = admit();
      if (ok) expect(r, `${used} min`).toEqual({ ok: true });
      else {
        expect(r, `${used} min`).toMatchObject({ ok: false, status: 403, code: "daily_minutes" });
        if (!r.ok) expect(r.reason).toBe(`daily outbound minutes of trunk carrier-a used up (${used} of 60)`);
      }
    }
  });

  it("counts answered calls in progress from their answer; ringing counts nothing", () => {
    const { guard, start, admit, clock } = setup({ account: { dailyMinutes: 10 } });
    const a = start() as string;
    clock.now += 20 * 60_000; // ringing, unanswered: no minutes
    expect(admit()).toEqual({ ok: true });
    guard.onCallAnswered({ callId: a });
    clock.now += 10 * 60_000 - 1000;
    expect(admit()).toEqual({ ok: true });
    clock.now += 1000;
    expect(admit()).toMatchObject({ status: 403, code: "daily_minutes" });
    expect(guard.usage("account", ACCOUNT)).toEqual({ concurrent: 1, usedSecToday: 600 });
  });

  it("starts from zero on the next UTC day", () => {
    const { start, end, admit, clock } = setup({ trunk: { dailyMinutes: 1 } });
    end(start() as string, 60);
    expect(admit()).toMatchObject({ code: "daily_minutes" });
    clock.now = Date.UTC(2026, 11, 5, 23, 59, 59);
    expect(admit()).toMatchObject({ code: "daily_minutes" });
    clock.now = Date.UTC(2026, 11, 6, 0, 0, 0);
    expect(admit()).toEqual({ ok: true });
  });

  it("survives a restart: today's minutes come from the loader, asked with UTC midnight, per scope", () => {
    const asked: Array<[string, string | null, string]> = [];
    const minutesSince = (accountId: string, trunkId: string | null, since: Date) => {
      asked.push([accountId, trunkId, since.toISOString()]);
      return trunkId === null ? 30 : 20;
    };
    const trunkCap = setup({ trunk: { dailyMinutes: 20 } }, { minutesSince });
    expect(trunkCap.admit()).toMatchObject({
      code: "daily_minutes",
      reason: expect.stringContaining("(20 of 20)"),
    });
    expect(asked).toEqual([[ACCOUNT, TRUNK, "2026-12-05T00:00:00.000Z"]]);

    asked.length = 0;
    const accountCap = setup({ account: { dailyMinutes: 31 } }, { minutesSince });
    const a = accountCap.start() as string; // 30 < 31
    accountCap.end(a, 60);
    expect(accountCap.admit()).toMatchObject({ code: "daily_minutes" }); // 31: loaded once, then added
    expect(asked.filter(([, t]) => t === null)).toHaveLength(1);
  });

  it("a loader that fails lets calls pass and is asked again on the next call", () => {
    let calls = 0;
    const { admit } = setup(
      { trunk: { dailyMinutes: 5 } },
      {
        minutesSince: () => {
          if (++calls === 1) throw new Error("SQLITE_BUSY");
          return 5;
        },
      },
    );
    expect(admit()).toEqual({ ok: true });
    expect(admit()).toMatchObject({ code: "daily_minutes" });
    expect(calls).toBe(2);
  });
});

describe("wiring", () => {
  it("is a TrunkAdmission and maps the trunk's stored limits", () => {
    const port: TrunkAdmission = setup({}).guard;
    expect(port.admitOutbound({ accountId: ACCOUNT, trunkId: TRUNK, destination: "+1" })).toEqual({
      ok: true,
    });
    expect(
      fromStoredLimits({
        allowedPrefixes: [],
        deniedPrefixes: ["+882"],
        maxConcurrentCalls: 4,
        callsPerSecond: null,
        dailyOutboundMinutes: 0,
      }),
    ).toEqual({ denyPrefixes: ["+882"], maxConcurrent: 4, dailyMinutes: 0 });
  });

  it("checks destinations before the cap, the cap before concurrency, concurrency before rate", () => {
    const { start, end, admit } = setup({
      trunk: { denyPrefixes: ["+44"], dailyMinutes: 1, maxConcurrent: 1, maxCallsPerSecond: 100 },
    });
    const a = start() as string;
    expect(admit("+44")).toMatchObject({ code: "destination_denied" });
    expect(admit()).toMatchObject({ code: "concurrent_calls" });
    end(a, 60);
    expect(admit()).toMatchObject({ code: "daily_minutes" });
  });
});

describe("several gateway nodes on one database (SPEC §2): the other nodes' calls count too", () => {
  /** What the other nodes carry, as the last read gave it (cluster-usage.ts in @hookline/db). */
  function otherNodes() {
    const concurrent = new Map<string | null, number>();
    const usedSec = new Map<string | null, number>();
    const asked: Array<[string, string | null]> = [];
    const usage: OtherNodesUsage = {
      concurrent: (accountId, trunkId) => {
        asked.push([accountId, trunkId]);
        return accountId === ACCOUNT ? (concurrent.get(trunkId) ?? 0) : 0;
      },
      usedSec: (accountId, trunkId) => (accountId === ACCOUNT ? (usedSec.get(trunkId) ?? 0) : 0),
    };
    return { usage, concurrent, usedSec, asked };
  }

  it.each(["trunk", "account"] as const)(
    "maxConcurrent 2 on the %s, 1 call here and 1 on another node: the next gets concurrent_calls",
    (scope) => {
      const other = otherNodes();
      const { start, end, admit } = setup({ [scope]: { maxConcurrent: 2 } }, { otherNodes: other.usage });
      const a = start() as string;
      expect(typeof a).toBe("string");
      other.concurrent.set(scope === "trunk" ? TRUNK : null, 1);
      expect(admit()).toMatchObject({ ok: false, status: 503, code: "concurrent_calls", retryAfterSec: 5 });
      // The other node's call ends (seen at the next read): the slot is free again.
      other.concurrent.set(scope === "trunk" ? TRUNK : null, 0);
      expect(admit()).toEqual({ ok: true });
      // Or this node's own ends while the other node's goes on.
      other.concurrent.set(scope === "trunk" ? TRUNK : null, 1);
      end(a, 0);
      expect(admit()).toEqual({ ok: true });
      expect(other.asked).toContainEqual([ACCOUNT, scope === "trunk" ? TRUNK : null]);
    },
  );

  it("a daily cap of 10 minutes: 4 used here and 6 on the other nodes get daily_minutes", () => {
    const other = otherNodes();
    const { start, end, admit } = setup(
      { trunk: { dailyMinutes: 10 }, account: { dailyMinutes: 30 } },
      { otherNodes: other.usage },
    );
    end(start() as string, 4 * 60);
    other.usedSec.set(TRUNK, 6 * 60 - 1);
    expect(admit()).toEqual({ ok: true });
    other.usedSec.set(TRUNK, 6 * 60);
    expect(admit()).toMatchObject({
      ok: false,
      status: 403,
      code: "daily_minutes",
      reason: "daily outbound minutes of trunk carrier-a used up (10 of 10)",
    });
    // The account's cap adds the other nodes' minutes of all its trunks (asked with no trunk).
    other.usedSec.set(TRUNK, 0);
    other.usedSec.set(null, 26 * 60);
    expect(admit()).toMatchObject({ code: "daily_minutes", reason: expect.stringContaining("account acme") });
  });

  it("calls per second stays per node: the other nodes' calls take no token here", () => {
    const other = otherNodes();
    other.concurrent.set(TRUNK, 50);
    other.concurrent.set(null, 50);
    const { admit } = setup({ trunk: { maxCallsPerSecond: 2 } }, { otherNodes: other.usage });
    // This node's bucket alone: 2 in one instant, then 503; the cluster's rate is 2 per node.
    expect(admit()).toEqual({ ok: true });
    expect(admit()).toEqual({ ok: true });
    expect(admit()).toMatchObject({ status: 503, code: "calls_per_second" });
  });
});
