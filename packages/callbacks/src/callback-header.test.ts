import { describe, expect, it } from "vitest";
import { parseCallbackHeader } from "./callback-header.js";

describe("parseCallbackHeader", () => {
  it("parses the SPEC §4 form", () => {
    expect(parseCallbackHeader(`<https://app.example/hook?a=1;b=2>;events="sip.BYE,sip.INFO"`)).toEqual({
      ok: true,
      url: "https://app.example/hook?a=1;b=2",
      events: ["sip.BYE", "sip.INFO"],
      filter: null,
    });
  });

  it("reads a quoted filter with escapes and token values", () => {
    const r = parseCallbackHeader(
      `<https://a.example/>; events=call.* ; filter="message.headers[\\"x-a\\"] == \\"1\\""`,
    );
    expect(r).toEqual({
      ok: true,
      url: "https://a.example/",
      events: ["call.*"],
      filter: `message.headers["x-a"] == "1"`,
    });
  });

  it.each([
    [`https://a.example/;events="sip.BYE"`, "<url>"],
    [`<https://a.example/`, "closing"],
    [`<https://a.example/>`, "events"],
    [`<https://a.example/>;events="sip.BYE`, "unterminated"],
    [`<https://a.example/>;events="sip.9xx"`, "events[0]"],
    [`<https://a.example/>;events="sip.BYE";events="sip.ACK"`, "duplicate"],
    [`<https://a.example/> junk`, `expected ";"`],
  ])("refuses %s", (value, msg) => {
    const r = parseCallbackHeader(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(msg);
  });
});
