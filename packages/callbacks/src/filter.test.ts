import { describe, expect, it } from "vitest";
import { compileFilter } from "./filter.js";

const event = {
  type: "sip.INVITE",
  timestamp: "2026-01-01T00:00:00.000Z",
  data: {
    accountId: "acc_1",
    callId: "call_1",
    seq: 3,
    message: {
      direction: "received",
      method: "INVITE",
      status: null,
      headers: { "x-priority": "high" },
    },
    call: { id: "call_1", state: "initiated" },
  },
};

function compiled(src: string) {
  const r = compileFilter(src);
  if (!r.ok) throw new Error(r.error);
  return r.filter;
}

describe("compileFilter", () => {
  it("evaluates the SPEC example", () => {
    const f = compiled(`message.direction == "received" && message.headers["x-priority"] == "high"`);
    expect(f.evaluate(event)).toEqual({ ok: true, match: true });
    const low = {
      ...event,
      data: { ...event.data, message: { ...event.data.message, headers: { "x-priority": "low" } } },
    };
    expect(f.evaluate(low)).toEqual({ ok: true, match: false });
  });

  it("sees type, seq, data and macros", () => {
    expect(compiled(`type.startsWith("sip.") && seq >= 3`).evaluate(event)).toEqual({
      ok: true,
      match: true,
    });
    expect(compiled(`data.call.state == "initiated"`).evaluate(event)).toEqual({ ok: true, match: true });
    expect(compiled(`message.headers.exists(k, k.startsWith("x-"))`).evaluate(event)).toEqual({
      ok: true,
      match: true,
    });
    expect(compiled(`"x-priority" in message.headers`).evaluate(event)).toEqual({ ok: true, match: true });
  });

  it("sees a trunk event's trunk (SPEC §4 trunk.*)", () => {
    const down = {
      type: "trunk.down",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        accountId: "acc_1",
        trunk: {
          id: "trk_1",
          name: "carrier-a",
          target: { host: "127.0.0.2", port: 5060, transport: "udp" },
          state: "down",
          since: "2026-01-01T00:00:00.000Z",
          lastError: "timeout",
        },
      },
    };
    const f = compiled(`trunk.name == "carrier-a" && trunk.target.port == 5060`);
    expect(f.evaluate(down)).toEqual({ ok: true, match: true });
    expect(compiled(`trunk.state == "up"`).evaluate(down)).toEqual({ ok: true, match: false });
    // A call event has no trunk: null, so a filter written for trunks says no without an error.
    expect(compiled(`trunk == null`).evaluate(event)).toEqual({ ok: true, match: true });
  });

  it.each([
    [`message.direction ==`, "does not compile"],
    [`foo == 1`, `unknown variable "foo"`],
    [``, "empty"],
    [`message.headers.exists(k, j == 1)`, `unknown variable "j"`],
  ])("refuses %j at compile time", (src, msg) => {
    const r = compileFilter(src);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(msg);
  });

  it("returns runtime errors instead of throwing", () => {
    const missing = compiled(`message.headers["x-missing"] == "a"`).evaluate(event);
    expect(missing.ok).toBe(false);
    expect(compiled(`seq + 1 == 4`).evaluate(event)).toEqual({ ok: true, match: true });
    const notBool = compiled(`seq + 1`).evaluate(event);
    expect(notBool).toEqual({ ok: false, error: expect.stringContaining("not a bool") });
    const mismatch = compiled(`1 + "a" == 2`).evaluate(event);
    expect(mismatch.ok).toBe(false);
  });
});
