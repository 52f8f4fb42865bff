import { getTopVia, type SipResponse } from "@hookline/sip-core";
import type { Flow } from "./types.js";

/**
 * Where a response goes over a connection-oriented transport when the request's connection is
 * gone (RFC 3261 §18.2.2): the `received` address (else the sent-by host) and the sent-by port
 * (else 5060), on a new connection. Undefined when the top Via names no usable address.
 */
export function responseFlow(res: SipResponse): Flow | undefined {
  const via = getTopVia(res);
  if (!via) return undefined;
  const host = (via.received ?? via.host).replace(/^\[|\]$/g, "");
  if (!host || host.endsWith(".invalid")) return undefined;
  return { transport: "tcp", remoteAddress: host, remotePort: via.port ?? 5060 };
}
