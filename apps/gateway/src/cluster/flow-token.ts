/**
 * The flow a node holds, named in a SIP URI other nodes route through (RFC 3327 Path, RFC 3261
 * Record-Route), the way RFC 5626 §5.2 edge proxies name theirs: the flow (and, in a
 * Record-Route, the peer node on the other side of the relay) encoded in the URI's user part and
 * signed with the cluster's shared token secret, so that only a node of the cluster can make one
 * and a changed one is refused.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Flow, TransportName } from "../transport/types.js";

/** A node on the other side of a relay, reached over TCP (SPEC §2: nodes speak SIP to each other). */
export interface Peer {
  address: string;
  port: number;
}

/**
 * What a token is for, so that one cannot stand for another:
 * - `path`: a binding's Path (RFC 3327): requests go down `flow`;
 * - `down`: the Record-Route facing the anchoring node: the dialog's requests go down `flow`;
 * - `up`: the Record-Route facing the flow (RFC 5658): the flow's requests go on to `peer`;
 * - `via`: a Via the relay added: the response goes to `flow`.
 */
export type TokenKind = "path" | "down" | "up" | "via";

export interface FlowToken {
  kind: TokenKind;
  flow: Flow;
  /** `up` only: the node that anchors the dialog. */
  peer?: Peer | undefined;
}

const KINDS: ReadonlySet<string> = new Set(["path", "down", "up", "via"]);

const TRANSPORTS: ReadonlySet<string> = new Set(["udp", "tcp", "tls", "ws", "wss"]);
const MAC_BYTES = 16;

export class FlowTokens {
  readonly #key: Buffer;

  constructor(secret: string | Uint8Array) {
    // A key of its own, derived from the shared secret: a token is no session or API token.
    this.#key = createHmac("sha256", secret).update("hookline flow token").digest();
  }

  encode(token: FlowToken): string {
    const { kind, flow, peer } = token;
    const fields = [kind, flow.transport, flow.remoteAddress, flow.remotePort, flow.connectionId ?? ""];
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
    const [kind, transport, address, port, connectionId, peerAddress, peerPort] = Buffer.from(
      payload,
      "base64url",
    )
      .toString()
      .split("|");
    if (!kind || !KINDS.has(kind) || !transport || !TRANSPORTS.has(transport)) return undefined;
    if (!address || !validPort(port)) return undefined;
    const flow: Flow = {
      transport: transport as TransportName,
      remoteAddress: address,
      remotePort: Number(port),
      ...(connectionId && { connectionId }),
    };
    if (kind !== "up") return { kind: kind as TokenKind, flow };
    if (!peerAddress || !validPort(peerPort)) return undefined;
    return { kind, flow, peer: { address: peerAddress, port: Number(peerPort) } };
  }

  #mac(payload: string): Buffer {
    return createHmac("sha256", this.#key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

function validPort(p: string | undefined): boolean {
  return p !== undefined && /^\d{1,5}$/.test(p) && Number(p) > 0 && Number(p) <= 65535;
}
