/**
 * The health monitor's `sendOptions`, on the gateway's own SIP stack: an out-of-dialog OPTIONS
 * (RFC 3261 §11.1) in a non-INVITE client transaction (§17.1.2, so UDP retransmits on Timer E),
 * sent from the gateway's SIP port like the B2BUA's INVITEs. The first final response settles it;
 * Timer F (64·T1) is a timeout, though the monitor's own shorter timeout usually comes first.
 */
import {
  createRequest,
  generateBranch,
  generateCallId,
  generateTag,
  type SipResponse,
  type TransactionLayer,
  type Transport,
} from "@hookline/sip-core";
import type { LocalAddress } from "../b2bua/leg.js";
import type { Flow } from "../transport/types.js";
import type { PingOutcome, SendOptions } from "./health.js";
import type { TrunkTarget } from "./ports.js";

/** What the sender needs of the gateway (`Gateway` has all three). */
export interface OptionsStack {
  readonly layer: TransactionLayer;
  transportFor(flow: Flow): Transport;
  localAddress(flow: Flow): LocalAddress;
}

export function createOptionsSender(stack: OptionsStack): SendOptions {
  return (target: TrunkTarget) => {
    // Over TLS the target's certificate must name its configured host (RFC 5922 §7.3).
    const flow: Flow = {
      transport: target.transport,
      remoteAddress: target.host,
      remotePort: target.port,
      ...(target.transport === "tls" && { serverName: target.host }),
    };
    const local = stack.localAddress(flow);
    const host = target.host.includes(":") ? `[${target.host}]` : target.host;
    const uri = `sip:${host}:${target.port}${target.transport === "udp" ? "" : `;transport=${target.transport}`}`;
    const request = createRequest({
      method: "OPTIONS",
      uri,
      headers: [
        ["Via", `SIP/2.0/${local.transport} ${local.host}:${local.port};branch=${generateBranch()};rport`],
        ["Max-Forwards", "70"],
        ["From", `<sip:hookline@${local.host}>;tag=${generateTag()}`],
        ["To", `<${uri}>`],
        ["Call-ID", generateCallId()],
        ["CSeq", "1 OPTIONS"],
        // RFC 3261 §11.1: say what body the answer may carry.
        ["Accept", "application/sdp"],
      ],
    });
    return new Promise<PingOutcome>((resolve) => {
      let tx;
      try {
        tx = stack.layer.createClientTransaction(request, stack.transportFor(flow));
      } catch (err) {
        resolve({ kind: "error", error: (err as Error).message });
        return;
      }
      tx.on("response.received", (res: SipResponse) => {
        if (res.status >= 200) resolve({ kind: "response", status: res.status, reason: res.reason });
      });
      tx.on("transaction.timeout", () => resolve({ kind: "timeout" }));
      tx.on("transport.error", (e) => resolve({ kind: "error", error: `transport error: ${e.message}` }));
      tx.start();
    });
  };
}
