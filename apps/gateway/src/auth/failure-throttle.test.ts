import { describe, expect, it } from "vitest";
import { FailureThrottle } from "./failure-throttle.js";

describe("FailureThrottle", () => {
  it("blocks a key after maxFailures within the window, for blockMs", () => {
    let t = 0;
    const throttle = new FailureThrottle({ maxFailures: 3, windowMs: 1000, blockMs: 5000, now: () => t });
    expect(throttle.fail("k")).toBe(false);
    expect(throttle.fail("k")).toBe(false);
    expect(throttle.isBlocked("k")).toBe(false);
    expect(throttle.fail("k")).toBe(true);
    expect(throttle.isBlocked("k")).toBe(true);
    expect(throttle.isBlocked("other")).toBe(false);
    t = 4999;
    expect(throttle.isBlocked("k")).toBe(true);
    t = 5000;
    expect(throttle.isBlocked("k")).toBe(false);
    expect(throttle.size).toBe(0);
  });

  it("counts only failures inside the sliding window", () => {
    let t = 0;
    const throttle = new FailureThrottle({ maxFailures: 3, windowMs: 1000, now: () => t });
    throttle.fail("k");
    t = 600;
    throttle.fail("k");
    t = 1100; // the first failure left the window
    expect(throttle.fail("k")).toBe(false);
    expect(throttle.fail("k")).toBe(true);
  });

  it("keeps at most maxKeys keys, forgetting the least recently failed", () => {
    const throttle = new FailureThrottle({ maxFailures: 2, maxKeys: 100, now: () => 0 });
    throttle.fail("victim");
    for (let i = 0; i < 10_000; i++) throttle.fail(`spray-${i}`);
    expect(throttle.size).toBe(100);
    expect(throttle.fail("victim")).toBe(false); // forgotten, so this is its first failure again
  });

  it("succeed() forgets the failures of an unblocked key only", () => {
    const throttle = new FailureThrottle({ maxFailures: 2, now: () => 0 });
    throttle.fail("a");
    throttle.succeed("a");
    expect(throttle.fail("a")).toBe(false);
    throttle.fail("a");
    throttle.succeed("a");
    expect(throttle.isBlocked("a")).toBe(true);
  });

  it("recentFailures() counts a key's failures inside the window only", () => {
    let t = 0;
    const throttle = new FailureThrottle({ maxFailures: 5, windowMs: 1000, now: () => t });
    expect(throttle.recentFailures("k")).toBe(0);
    throttle.fail("k");
    t = 500;
    throttle.fail("k");
    expect(throttle.recentFailures("k")).toBe(2);
    t = 1200;
    expect(throttle.recentFailures("k")).toBe(1);
  });
});
