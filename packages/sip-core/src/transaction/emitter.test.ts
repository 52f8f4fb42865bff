import { describe, expect, it } from "vitest";
import { Emitter } from "./emitter.js";

interface Events {
  "a.happened": [n: number];
  "b.happened": [];
}

/** Exposes the protected side for the test. */
class Probe extends Emitter<Events> {
  fire<K extends keyof Events>(event: K, ...args: Events[K]): void {
    this.emit(event, ...args);
  }
  drop(...events: (keyof Events)[]): void {
    this.removeListeners(...events);
  }
  dropAll(): void {
    this.removeAllListeners();
  }
}

describe("transaction emitter", () => {
  it("calls the listeners of an event in the order they were added, with its arguments", () => {
    const e = new Probe();
    const seen: string[] = [];
    e.on("a.happened", (n) => seen.push(`first ${n}`));
    e.on("b.happened", () => seen.push("b"));
    e.on("a.happened", (n) => seen.push(`second ${n}`));
    e.fire("a.happened", 7);
    expect(seen).toEqual(["first 7", "second 7"]);
  });

  it("off removes one registration of that listener for that event only", () => {
    const e = new Probe();
    let calls = 0;
    const listener = () => void calls++;
    e.on("a.happened", listener).on("a.happened", listener).on("b.happened", listener);
    e.off("a.happened", listener);
    e.fire("a.happened", 1);
    e.fire("b.happened");
    expect(calls).toBe(2);
  });

  it("a listener added or removed during an emit takes effect from the next emit", () => {
    const e = new Probe();
    const seen: string[] = [];
    const late = () => seen.push("late");
    const removed = () => seen.push("removed");
    e.on("b.happened", () => {
      seen.push("first");
      e.on("b.happened", late);
      e.off("b.happened", removed);
    });
    e.on("b.happened", removed);
    e.fire("b.happened");
    e.fire("b.happened");
    expect(seen).toEqual(["first", "removed", "first", "late"]);
  });

  it("a listener that throws does not stop the others", () => {
    const e = new Probe();
    let after = 0;
    e.on("b.happened", () => {
      throw new Error("boom");
    });
    e.on("b.happened", () => void after++);
    e.fire("b.happened");
    expect(after).toBe(1);
  });

  it("removeListeners drops the named events only; removeAllListeners drops everything", () => {
    const e = new Probe();
    const seen: string[] = [];
    e.on("a.happened", () => seen.push("a"));
    e.on("b.happened", () => seen.push("b"));
    e.drop("a.happened");
    e.fire("a.happened", 1);
    e.fire("b.happened");
    expect(seen).toEqual(["b"]);
    e.dropAll();
    e.fire("b.happened");
    expect(seen).toEqual(["b"]);
  });
});
