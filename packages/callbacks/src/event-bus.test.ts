import { describe, expect, it } from "vitest";
import { EventBus } from "./event-bus.js";
import type { HooklineEvent } from "./events.js";
import { sipEventType } from "./events.js";
import type { Logger } from "./logger.js";
import { nameCovers } from "./matcher.js";

describe("EventBus", () => {
  it("delivers to every listener even when one throws or rejects, and logs it", async () => {
    const logged: string[] = [];
    const logger: Logger = { info: () => {}, warn: () => {}, error: (_f, m) => logged.push(m) };
    const bus = new EventBus(logger);
    const seen: string[] = [];
    bus.on("event", () => {
      throw new Error("bad listener");
    });
    bus.on("event", () => Promise.reject(new Error("bad async listener")));
    bus.on("event", (e) => seen.push(e.type));
    bus.on("registration", (e) => seen.push(`reg:${e.data.registration.aor}`));
    const event: HooklineEvent = {
      type: "registration.created",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        accountId: "acc_1",
        registration: {
          aor: "sip:a@x",
          contact: "<sip:a@1.2.3.4>",
          transport: "ws",
          source: "1.2.3.4:5",
          expiresAt: "",
        },
      },
    };
    expect(() => bus.publish(event)).not.toThrow();
    await Promise.resolve();
    expect(seen).toEqual(["registration.created", "reg:sip:a@x"]);
    expect(logged).toEqual(["event listener threw", "event listener rejected"]);
  });
});

describe("EventBus: trunk events (SPEC §4 trunk.*)", () => {
  it("sends trunk.up and trunk.down to the trunk channel, not to registration", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on("trunk", (e) => seen.push(`trunk:${e.type}:${e.data.trunk.name}:${e.data.trunk.state}`));
    bus.on("registration", (e) => seen.push(`reg:${e.type}`));
    const event: HooklineEvent = {
      type: "trunk.down",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        accountId: "acc_1",
        trunk: {
          id: "trk_1",
          name: "carrier-a",
          target: { host: "127.0.0.1", port: 5060, transport: "udp" },
          state: "down",
          since: "2026-01-01T00:00:00.000Z",
          lastError: "timeout",
        },
      },
    };
    bus.publish(event);
    expect(seen).toEqual(["trunk:trunk.down:carrier-a:down"]);
    expect(nameCovers("trunk.*", "trunk.up")).toBe(true);
    expect(nameCovers("trunk.*", "registration.created")).toBe(false);
  });
});

describe("event names", () => {
  it("maps messages to types and covers classes and wildcards", () => {
    expect(sipEventType({ method: "INVITE", status: null })).toBe("sip.INVITE");
    expect(sipEventType({ method: "INVITE", status: 180 })).toBe("sip.180");
    expect(nameCovers("sip.4xx", "sip.486")).toBe(true);
    expect(nameCovers("sip.4xx", "sip.500")).toBe(false);
    expect(nameCovers("sip.4xx", "sip.4XX")).toBe(false);
    expect(nameCovers("sip.*", "sip.BYE")).toBe(true);
    expect(nameCovers("sip.*", "call.answered")).toBe(false);
    expect(nameCovers("call.*", "call.answered")).toBe(true);
    expect(nameCovers("registration.*", "registration.expired")).toBe(true);
    expect(nameCovers("sip.BYE", "sip.BYE")).toBe(true);
  });
});
