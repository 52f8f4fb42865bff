import { getTopVia, type SipResponse } from "@hookline/sip-core";
import type { Flow } from "./types.js";

/**
 * Where a response goes over a connection-oriented transport when the request's connection is
 * gone (RFC 3261 §18.2.2): the `received` address (else the sent-by host) and the sent-by port
 * (else 5060, or 5061 for TLS), on a new connection; over TLS that connection verifies the sent-by
 * host (RFC 5922 §7.3). Undefined when the top Via names no usable address.
 */
export function responseFlow(res: SipResponse, transport: "tcp" | "tls" = "tcp"): Flow | undefined {
  const via = getTopVia(res);
  if (!via) return undefined;
  const host = (via.received ?? via.host).replace(/^\[|\]$/g, "");
  if (!host || host.endsWith(".invalid")) return undefined;
  if (transport === "tcp") return { transport, remoteAddress: host, remotePort: via.port ?? 5060 };
  const serverName = via.host.replace(/^\[|\]$/g, "");
  return { transport, remoteAddress: host, remotePort: via.port ?? 5061, serverName };
}
