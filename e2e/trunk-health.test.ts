/**
 * Trunk health through real parts (SPEC §4 `trunk.*`): the gateway's own SIP stack pings a UDP
 * responder on 127.0.0.1 with OPTIONS (RFC 3261 §11); the responder answers 200, goes silent,
 * then answers again; `trunk.down` then `trunk.up` reach a real HTTP receiver through the real
 * callback engine, signed.
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import {
  createResponse,
  generateTag,
  parseMessage,
  serializeMessage,
  type SipRequest,
} from "@hookline/sip-core";
import { createOptionsSender, TrunkHealthMonitor } from "@hookline/gateway";
import { Receiver, startStack, type Stack } from "./src/index.js";

/** A carrier's SIP server that answers OPTIONS with 200 while `answering`. */
class OptionsResponder {
  readonly socket = dgram.createSocket("udp4");
  answering = true;
  readonly seen: SipRequest[] = [];

  async listen(): Promise<number> {
    this.socket.on("message", (data, rinfo) => {
      const r = parseMessage(data);
      if (!r.ok || r.message.kind !== "request") return;
      this.seen.push(r.message);
      if (!this.answering) return;
      const res = createResponse(r.message, 200, "OK", { toTag: generateTag() });
      this.socket.send(serializeMessage(res), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, "127.0.0.1", resolve));
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

describe("trunk health: OPTIONS pings from the gateway, trunk.down and trunk.up to a callback", () => {
  let stack: Stack, receiver: Receiver, responder: OptionsResponder, monitor: TrunkHealthMonitor | undefined;

  beforeAll(async () => {
    stack = await startStack();
    receiver = new Receiver();
    responder = new OptionsResponder();
  });
  afterAll(async () => {
    monitor?.stop();
    await responder.close();
    await receiver.close();
    await stack.close();
  });

  it("a target that stops answering goes down, then up when it answers again, and both events are delivered", async () => {
    const url = await receiver.listen();
    const port = await responder.listen();
    const { accountId, apiKey } = await stack.tenant("trunks.test", []);
    const cb = await stack.api<{ secret: string }>(
      "POST",
      "/v1/callbacks",
      { url, events: ["trunk.*"] },
      apiKey,
    );
    expect(cb.status).toBe(201);

    const target = { host: "127.0.0.1", port, transport: "udp" as const, priority: 1 };
    monitor = new TrunkHealthMonitor({
      sendOptions: createOptionsSender(stack.h.gateway!),
      timers: {
        setTimer: (ms, fn) => setTimeout(fn, ms),
        clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
      },
      now: () => Date.now(),
      publish: (e) => stack.h.bus.publish(e),
      // Short for the test, with room for a slow machine: a false timeout needs two in a row.
      intervalMs: 300,
      timeoutMs: 250,
      failuresBeforeDown: 2,
      successesBeforeUp: 2,
    });
    monitor.watch({ id: "trk_1", accountId, name: "carrier-a", targets: [target] });

    const until = async (pred: () => boolean, what: string) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 25));
      if (!pred()) throw new Error(`not reached: ${what}`);
    };
    await until(() => monitor!.state("trk_1")?.state === "up", "up after the first answer");
    expect(receiver.received).toEqual([]); // unknown → up says nothing

    // The pings are the gateway's own OPTIONS (RFC 3261 §11.1), from its SIP port.
    const ping = responder.seen[0]!;
    expect(ping.method).toBe("OPTIONS");
    expect(ping.uri).toBe(`sip:127.0.0.1:${port}`);
    const header = (k: string) => ping.headers.find((h) => h.key === k)?.value;
    expect(header("via")).toMatch(new RegExp(`^SIP/2.0/UDP 127.0.0.1:${stack.h.ports.sip};branch=z9hG4bK`));
    expect(header("cseq")).toBe("1 OPTIONS");
    expect(header("max-forwards")).toBe("70");

    responder.answering = false;
    await receiver.until((r) => r.some((x) => x.json.type === "trunk.down"));
    expect(monitor.isTargetUp("trk_1", target)).toBe(false);
    responder.answering = true;
    const all = await receiver.until((r) => r.some((x) => x.json.type === "trunk.up"));

    expect(all.map((r) => r.json.type)).toEqual(["trunk.down", "trunk.up"]);
    expect(monitor.isTargetUp("trk_1", target)).toBe(true);
    const [down, up] = all;
    expect(down!.json.data).toEqual({
      accountId,
      trunk: {
        id: "trk_1",
        name: "carrier-a",
        target: { host: "127.0.0.1", port, transport: "udp" },
        state: "down",
        since: down!.json.timestamp,
        lastError: "timeout",
      },
    });
    expect(up!.json.data).toMatchObject({ accountId, trunk: { state: "up", since: up!.json.timestamp } });
    const wh = new Webhook(cb.body.secret);
    for (const r of all) expect(() => wh.verify(r.body, r.headers)).not.toThrow();
  });
});
