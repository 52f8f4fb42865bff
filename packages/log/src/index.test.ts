import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { callLog, createLogger, parseLogLevel } from "./index.js";

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("the log", () => {
  it("writes one JSON object per line with the level's name, a time, and the call's ids", () => {
    const out = capture();
    const root = createLogger("info", out.stream).child({ component: "b2bua" });
    callLog(root, { callId: "call_1", accountId: "acc_1" }).warn({ status: 486 }, "callee busy");
    root.debug("not at info");
    const [line, ...rest] = out.lines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      level: "warn",
      component: "b2bua",
      callId: "call_1",
      accountId: "acc_1",
      status: 486,
      msg: "callee busy",
    });
    expect(Date.parse(String(line!.time))).not.toBeNaN();
  });

  it("serialises an error with its message and stack", () => {
    const out = capture();
    createLogger("info", out.stream).error({ err: new Error("disk full") }, "write failed");
    expect(out.lines()[0]!.err).toMatchObject({ message: "disk full", type: "Error" });
  });

  it("takes HOOKLINE_LOG_LEVEL case-insensitively, defaults to info, and names the variable when wrong", () => {
    expect(parseLogLevel(undefined)).toBe("info");
    expect(parseLogLevel("DEBUG")).toBe("debug");
    expect(() => parseLogLevel("verbose")).toThrow(
      /HOOKLINE_LOG_LEVEL must be one of trace, .*; got "verbose"/,
    );
  });
});
