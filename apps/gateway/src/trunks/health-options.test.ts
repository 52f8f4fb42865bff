import { describe, expect, it } from "vitest";
import {
  createResponse,
  FakeTimers,
  TransactionLayer,
  type SipMessage,
  type SipRequest,
  type Transport,
} from "@hookline/sip-core";
import { createOptionsSender } from "./health-options.js";
import type { TrunkTarget } from "./ports.js";
import type { Flow } from "../transport/types.js";

const TARGET: TrunkTarget = { host: "198.51.100.7", port: 5080, transport: "udp", priority: 1 };

function setup(send: (m: SipMessage) => void | Promise<void>, flows: Flow[] = []) {
  const clock = new FakeTimers();
  const layer = new TransactionLayer({ timers: clock });
  const transport: Transport = { reliable: false, send };
  const sender = createOptionsSender({
    layer,
    transportFor: (flow) => (flows.push(flow), transport),
    localAddress: () => ({ transport: "UDP", host: "203.0.113.1", port: 5060 }),
  });
  return { clock, layer, sender };
}

describe("OPTIONS through the transaction layer (RFC 3261 §11.1, §17.1.2)", () => {
  it("sends an out-of-dialog OPTIONS and settles on the first final response", async () => {
    const sent: SipRequest[] = [];
    const { layer, sender } = setup((m) => void (m.kind === "request" && sent.push(m)));
    const outcome = sender(TARGET);
    const req = sent[0]!;
    expect(req.method).toBe("OPTIONS");
    expect(req.uri).toBe("sip:198.51.100.7:5080");
    const h = (k: string) => req.headers.find((x) => x.key === k)?.value;
    expect(h("via")).toMatch(/^SIP\/2.0\/UDP 203.0.113.1:5060;branch=z9hG4bK\S+;rport$/);
    expect(h("cseq")).toBe("1 OPTIONS");
    expect(h("accept")).toBe("application/sdp");
    layer.receiveResponse(createResponse(req, 100, "Trying"));
    layer.receiveResponse(createResponse(req, 404, "Not Found", { toTag: "x" }));
    await expect(outcome).resolves.toEqual({ kind: "response", status: 404, reason: "Not Found" });
  });

  it("reports Timer F as a timeout and a failed send as an error", async () => {
    const silent = setup(() => {});
    const outcome = silent.sender(TARGET);
    silent.clock.advance(64 * 500);
    await expect(outcome).resolves.toEqual({ kind: "timeout" });

    const broken = setup(() => {
      throw new Error("EHOSTUNREACH");
    });
    await expect(broken.sender(TARGET)).resolves.toMatchObject({ kind: "error" });
  });

  it("asks for transport=tcp on a TCP target and transport=tls on a TLS one, verifying its host", () => {
    const sent: SipRequest[] = [];
    const flows: Flow[] = [];
    const { sender } = setup((m) => void (m.kind === "request" && sent.push(m)), flows);
    void sender({ ...TARGET, transport: "tcp" });
    expect(sent[0]?.uri).toBe("sip:198.51.100.7:5080;transport=tcp");
    void sender({ ...TARGET, host: "sip.carrier.example", port: 5061, transport: "tls" });
    expect(sent[1]?.uri).toBe("sip:sip.carrier.example:5061;transport=tls");
    expect(flows[1]).toEqual({
      transport: "tls",
      remoteAddress: "sip.carrier.example",
      remotePort: 5061,
      serverName: "sip.carrier.example",
    });
  });
});
