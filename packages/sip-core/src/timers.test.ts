import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeTimers, resolveTimerConfig } from "./timers.js";

describe("FakeTimers (virtual time for RFC 3261 §17 timers)", () => {
  it("fires in due order, ties in creation order, including timers set while firing", () => {
    const clock = new FakeTimers();
    const fired: string[] = [];
    clock.setTimer(10, () => fired.push("a@10"));
    clock.setTimer(5, () => {
      fired.push("b@5");
      clock.setTimer(5, () => fired.push("c@10"));
    });
    const cleared = clock.setTimer(7, () => fired.push("never"));
    clock.clearTimer(cleared);
    clock.advance(9);
    expect(fired).toEqual(["b@5"]);
    expect(clock.now).toBe(9);
    clock.advance(1);
    expect(fired).toEqual(["b@5", "a@10", "c@10"]);
    expect(clock.pending).toBe(0);
  });

  it("runAll stops an endless re-arming loop", () => {
    const clock = new FakeTimers();
    const arm = (): void => void clock.setTimer(1, arm);
    arm();
    expect(() => clock.runAll(100)).toThrow(/more than 100/);
  });

  it("property: the firing order equals a stable sort by due time", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 80 }),
        (specs) => {
          const clock = new FakeTimers();
          const fired: number[] = [];
          specs.forEach(([ms, keep], i) => {
            const handle = clock.setTimer(ms, () => fired.push(i));
            if (!keep) clock.clearTimer(handle);
          });
          clock.advance(50);
          const expected = specs
            .map(([ms, keep], i) => ({ ms, keep, i }))
            .filter((s) => s.keep)
            .sort((a, b) => a.ms - b.ms || a.i - b.i)
            .map((s) => s.i);
          expect(fired).toEqual(expected);
          expect(clock.pending).toBe(0);
        },
      ),
    );
  });

  it("timer configuration: defaults per RFC 3261 and validation", () => {
    expect(resolveTimerConfig()).toEqual({ t1: 500, t2: 4000, t4: 5000, timerD: 32_000 });
    expect(resolveTimerConfig({ t1: 100 }).t1).toBe(100);
    expect(() => resolveTimerConfig({ t2: -1 })).toThrow(RangeError);
  });
});
