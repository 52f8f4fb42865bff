import { describe, expect, it } from "vitest";
import { classifyStatus, parseRetryAfter, RetryPolicy } from "./retry-policy.js";

describe("RetryPolicy", () => {
  it("follows the schedule with bounded jitter and stops after the last entry", () => {
    const p = new RetryPolicy({ scheduleMs: [0, 1000, 2000], jitter: 0.1, random: () => 1 });
    expect(p.next(1, null)).toEqual({ retry: true, delayMs: 1100 });
    expect(new RetryPolicy({ scheduleMs: [0, 1000], jitter: 0.1, random: () => 0 }).next(1, null)).toEqual({
      retry: true,
      delayMs: 900,
    });
    expect(p.next(3, null)).toEqual({ retry: false });
    expect(p.next(1, 30_000)).toEqual({ retry: true, delayMs: 30_000 });
    expect(p.next(3, 30_000)).toEqual({ retry: false });
  });

  it("defaults to the documented schedule", () => {
    expect(new RetryPolicy().schedule).toEqual([0, 5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
  });

  it("parses Retry-After seconds and dates; only 429/503 use it", () => {
    expect(parseRetryAfter("120", 0)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:01:00 GMT", 0)).toBe(60_000);
    expect(parseRetryAfter("soon", 0)).toBeNull();
    expect(classifyStatus(503, 5)).toEqual({ kind: "retryable", retryAfterMs: 5 });
    expect(classifyStatus(500, 5)).toEqual({ kind: "retryable", retryAfterMs: null });
    expect(classifyStatus(302, null)).toEqual({ kind: "retryable", retryAfterMs: null });
    expect(classifyStatus(410, null)).toEqual({ kind: "gone" });
    expect(classifyStatus(204, null)).toEqual({ kind: "success" });
  });
});
