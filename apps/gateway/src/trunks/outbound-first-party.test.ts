/**
 * An API call's first party through a trunk (SPEC §5 `POST /v1/calls`): its dial settles at the
 * answer so that the call's actions can run, but for the toll-fraud guard the call lasts until it
 * ends. The real guard, and a call handle whose dial answers or fails as told.
 */
import { describe, expect, it } from "vitest";
import { silentLogger } from "@hookline/log";
import type { CallControl, DialOutcome } from "../b2bua/ports.js";
import { FraudGuard } from "./fraud-guard.js";
import { TrunkCalls } from "./outbound.js";
import type { TrunkDirectory, TrunkRecord } from "./trunk-directory.js";

const trunk = {
  id: "trk_1",
  name: "carrier-a",
  outboundTargets: [{ host: "203.0.113.10", port: 5060, transport: "udp", priority: 1 }],
  outboundUsername: null,
  outboundPassword: null,
  numberFormat: { countryCode: "1", nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
  callerId: { number: "+15550009999", assertIdentity: true },
} as unknown as TrunkRecord;

const answered: DialOutcome = {
  status: "answered",
  sipStatus: 200,
  reason: "OK",
  answeredBy: "sip:+15557770001@203.0.113.10",
  durationSec: 0,
};
const busy: DialOutcome = {
  status: "busy",
  sipStatus: 486,
  reason: "Busy Here",
  answeredBy: null,
  durationSec: null,
};

function setup() {
  const guard = new FraudGuard({
    account: () => ({ name: "acme", limits: {} }),
    trunk: () => ({ name: "carrier-a", limits: { maxConcurrent: 1 } }),
    now: () => Date.UTC(2026, 11, 5, 10, 0, 0),
    logger: silentLogger,
  });
  const calls = new TrunkCalls({ directory: {} as TrunkDirectory, admission: guard });
  const control = (id: string, outcome: DialOutcome) =>
    ({
      id,
      accountId: "acc_1",
      ended: false,
      log: silentLogger,
      dial: () => Promise.resolve(outcome),
    }) as unknown as CallControl;
  const other = { ...trunk, id: "trk_2" };
  const admit = (trunkId = trunk.id) =>
    guard.admitOutbound({ accountId: "acc_1", trunkId, destination: "+15557770002" });
  const dial = (id: string, outcome: DialOutcome, callEnded: Promise<void>, on = trunk) =>
    calls.dial(
      control(id, outcome),
      { trunk: on, destination: "+15557770001" },
      {
        timeoutMs: 1000,
        caller: { from: "sip:sales@a.test", privacy: false },
        callEnded,
      },
    );
  return { admit, dial, other };
}

describe("a first party through a trunk and the fraud guard", () => {
  it("counts an answered first party toward the concurrent-call limit until the call ends, not until its answer", async () => {
    const { admit, dial } = setup();
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    expect(await dial("c1", answered, ended)).toMatchObject({ status: "answered" });
    // maxConcurrent 1: the answered call still holds the trunk's only slot.
    expect(admit()).toMatchObject({ ok: false, status: 503 });
    end();
    await ended;
    await Promise.resolve();
    expect(admit()).toEqual({ ok: true });
  });

  it("releases a first party that did not answer at once", async () => {
    const { admit, dial } = setup();
    const never = new Promise<void>(() => {});
    expect(await dial("c1", busy, never)).toMatchObject({ status: "busy", sipStatus: 486 });
    expect(admit()).toEqual({ ok: true });
  });

  it("counts the call's dial through another trunk as a leg of its own, whose end leaves the first party counted", async () => {
    const { admit, dial, other } = setup();
    let endCall!: () => void;
    const callEnded = new Promise<void>((r) => (endCall = r));
    let endLeg!: () => void;
    const legEnded = new Promise<void>((r) => (endLeg = r));
    expect(await dial("c1", answered, callEnded)).toMatchObject({ status: "answered" });
    // The same call's `dial` action through trunk 2 (limit 1 there too): counted on trunk 2.
    expect(await dial("c1", answered, legEnded, other)).toMatchObject({ status: "answered" });
    expect(admit(other.id)).toMatchObject({ ok: false, status: 503 });
    endLeg();
    await legEnded;
    await Promise.resolve();
    // The leg's end frees trunk 2 only; the first party still holds trunk 1's slot.
    expect(admit(other.id)).toEqual({ ok: true });
    expect(admit()).toMatchObject({ ok: false, status: 503 });
    endCall();
    await callEnded;
    await Promise.resolve();
    expect(admit()).toEqual({ ok: true });
  });
});
