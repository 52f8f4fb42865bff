import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.js";

describe("CircuitBreaker", () => {
  it("opens on a high failure rate, probes half-open once, closes on a good probe", () => {
    let now = 0;
    const b = new CircuitBreaker({
      windowMs: 1000,
      minRequests: 4,
      failureRate: 0.5,
      openMs: 500,
      now: () => now,
    });
    b.record(true);
    b.record(false);
    b.record(true);
    expect(b.state).toBe("closed");
    b.record(false);
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    expect(b.reopensAt).toBe(500);
    now = 500;
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.record(true);
    expect(b.state).toBe("closed");
    expect(b.tryAcquire()).toBe(true);
  });

  it("re-opens on a failed probe and forgets outcomes outside the window", () => {
    let now = 0;
    const b = new CircuitBreaker({
      windowMs: 100,
      minRequests: 2,
      failureRate: 1,
      openMs: 50,
      now: () => now,
    });
    b.record(false);
    now = 200;
    b.record(false);
    expect(b.state).toBe("closed");
    b.record(false);
    expect(b.state).toBe("open");
    now = 260;
    expect(b.tryAcquire()).toBe(true);
    b.record(false);
    expect(b.state).toBe("open");
    expect(b.reopensAt).toBe(310);
  });
});
