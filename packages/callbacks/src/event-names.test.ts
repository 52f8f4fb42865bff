import { describe, expect, it } from "vitest";
import { validateEventNames } from "./event-names.js";

describe("validateEventNames", () => {
  it("accepts every SPEC §4 form", () => {
    const names = [
      "sip.INVITE",
      "sip.ACK",
      "sip.BYE",
      "sip.X-CUSTOM.1",
      "sip.180",
      "sip.699",
      "sip.2xx",
      "sip.6xx",
      "sip.*",
      "call.initiated",
      "call.failed",
      "call.dtmf",
      "call.*",
      "registration.created",
      "registration.removed",
      "registration.*",
      "media.started",
      "media.timeout",
      "media.*",
      "trunk.up",
      "trunk.down",
      "trunk.*",
    ];
    expect(validateEventNames(names)).toEqual({ ok: true });
  });

  it.each([
    ["sip.099", "events[1]"],
    ["sip.18", "events[1]"],
    ["sip.7xx", "events[1]"],
    ["sip.IN*", "events[1]"],
    ["sip.", "events[1]"],
    ["sip.IN VITE", "events[1]"],
    ["call.started", "events[1]"],
    ["registration.*x", "events[1]"],
    ["media.rtp-started", "events[1]"],
    ["trunk.degraded", "events[1]"],
    ["trunk", "events[1]"],
    ["*", "events[1]"],
    ["", "events[1]"],
  ])("refuses %s and names the entry", (bad, where) => {
    const r = validateEventNames(["sip.BYE", bad]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(where);
  });

  it("refuses an empty list and an oversized list", () => {
    expect(validateEventNames([]).ok).toBe(false);
    expect(validateEventNames(Array.from({ length: 65 }, () => "sip.BYE")).ok).toBe(false);
  });
});
