/**
 * The flow a node holds, named in a SIP URI other nodes route through (RFC 3327 Path, RFC 3261
 * Record-Route), the way RFC 5626 §5.2 edge proxies name theirs: the flow (and, in a
 * Record-Route, the peer node on the other side of the relay) encoded in the URI's user part and
 * signed with the cluster's shared token secret, so that only a node of the cluster can make one
 * and a changed one is refused.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Flow, TransportName } from "../transport/types.js";

/** A node on the other side of a relay, reached over UDP (SPEC §2: nodes speak SIP to each other). */
export interface Peer {
  address: string;
  port: number;
}

export interface FlowToken {
  flow: Flow;
  /** In a Record-Route: where the flow's own requests go on (the node that relayed the INVITE). */
  peer?: Peer | undefined;
}

const TRANSPORTS: ReadonlySet<string> = new Set(["udp", "tcp", "tls", "ws", "wss"]);
const MAC_BYTES = 16;

export class FlowTokens {
  readonly #key: Buffer;

  constructor(secret: string | Uint8Array) {
    // A key of its own, derived from the shared secret: a token is no session or API token.
    this.#key = createHmac("sha256", secret).update("hookline flow token").digest();
  }

  encode(token: FlowToken): string {
    const { flow, peer } = token;
    const fields = [flow.transport, flow.remoteAddress, flow.remotePort, flow.connectionId ?? ""];
    if (peer) fields.push(peer.address, peer.port);
    const payload = Buffer.from(fields.join("|")).toString("base64url");
    return `${payload}.${this.#mac(payload).toString("base64url")}`;
  }

  /** The token's flow and peer; undefined when it is not one of this cluster's. */
  decode(token: string): FlowToken | undefined {
    const dot = token.indexOf(".");
    if (dot <= 0) return undefined;
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), "base64url");
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.#mac(payload))) return undefined;
    const [transport, address, port, connectionId, peerAddress, peerPort] = Buffer.from(payload, "base64url")
      .toString()
      .split("|");
    if (!transport || !TRANSPORTS.has(transport) || !address || !validPort(port)) return undefined;
    const flow: Flow = {
      transport: transport as TransportName,
      remoteAddress: address,
      remotePort: Number(port),
      ...(connectionId && { connectionId }),
    };
    return peerAddress && validPort(peerPort)
      ? { flow, peer: { address: peerAddress, port: Number(peerPort) } }
      : { flow };
  }

  #mac(payload: string): Buffer {
    return createHmac("sha256", this.#key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/** Whether a message arrived on `flow` (the same connection, or the same UDP address). */
export function sameFlow(a: Flow, b: Flow): boolean {
  if (a.transport !== b.transport) return false;
  if (a.connectionId !== undefined || b.connectionId !== undefined) return a.connectionId === b.connectionId;
  return a.remoteAddress === b.remoteAddress && a.remotePort === b.remotePort;
}

function validPort(p: string | undefined): boolean {
  return p !== undefined && /^\d{1,5}$/.test(p) && Number(p) <= 65535;
}
