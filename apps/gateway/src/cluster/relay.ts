/**
 * A node as the edge of its flows for the other nodes of a cluster (SPEC §2, docs/scale-out.md):
 * a call that another node anchors, for a user whose WebSocket (or phone) this node holds, passes
 * through here as SIP between nodes, over TCP (a WebRTC offer is several KB, and a stateless relay
 * from a reliable flow cannot retransmit what UDP loses). The binding's Path (RFC 3327) names this
 * node and the flow; the anchoring node sends the INVITE with that Route (RFC 3261 §16.12 loose
 * routing); this node forwards it down the flow statelessly (§16.11) and Record-Routes itself
 * twice (RFC 5658): the URI the flow's side uses sends the dialog's requests on to the anchoring
 * node, the one the anchoring node uses sends them down the flow, whichever connection they
 * arrive on (a browser that reconnected). Responses go where the Via this node added says.
 * Media is not relayed: it is anchored, with the call, on the other node.
 *
 * What it follows is signed with the cluster's token secret (flow-token.ts), each token for one
 * use only; a request is relayed down a flow only when it comes from a node of the cluster, and up
 * only within a dialog. So a user agent cannot use a node as a relay to anywhere else, nor reach
 * another user's flow. A route to this node without the relay's mark (an outbound proxy's) is not
 * the relay's: the node's own handlers see the request as before.
 */
import { createHash } from "node:crypto";
import {
  createHeader,
  createResponse,
  generateTag,
  getHeader,
  getMaxForwards,
  getTo,
  getTopVia,
  hasHeader,
  parseSipUriString,
  prependHeader,
  serializeNameAddr,
  setHeader,
  splitCommas,
  getRoutes,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from "@hookline/sip-core";
import { log } from "@hookline/log";
import type { LocalAddress } from "../b2bua/leg.js";
import type { SipRelay } from "../sip/sip-stack.js";
import type { Flow } from "../transport/types.js";
import type { FlowToken, FlowTokens } from "./flow-token.js";

const relayLog = log.child({ component: "relay" });

/** The branch of every Via a relay adds: never one of generateBranch's (base64url has no dot). */
export const RELAY_BRANCH = "z9hG4bK.hl.";
/** The Via parameter naming where a response goes (a `via` token). */
const FLOW_PARAM = "hl-flow";
/** The URI parameter marking this node's relay URIs (Path, Record-Route). */
const MARK = "hl";
const DEFAULT_PORT = 5060;

/** The node a relay works for: the gateway once its transports listen (gateway.ts). */
export interface RelayNode {
  readonly ports: { sip: number };
  localAddress(flow: Flow): LocalAddress;
  readonly stack: { relay: SipRelay | undefined; send(message: SipMessage, flow: Flow): Promise<void> };
}

export class Relay implements SipRelay {
  readonly #tokens: FlowTokens;
  /** The address other nodes reach this one at (SPEC §2 HOOKLINE_PUBLIC_IP). */
  readonly #host: string;
  #node: RelayNode | undefined;
  #trusted: (address: string) => boolean = () => false;
  /** Requests and responses relayed, and requests refused, for tests and logs. */
  readonly stats = { requests: 0, responses: 0, refused: 0 };

  constructor(tokens: FlowTokens, host: string) {
    this.#tokens = tokens;
    this.#host = host;
  }

  /**
   * From now on the node's SIP stack hands each message here first. `trusted`: whether an address
   * is a node of the cluster (the nodes table), the only senders relayed down a flow.
   */
  attach(node: RelayNode, trusted: (address: string) => boolean): void {
    this.#node = node;
    this.#trusted = trusted;
    node.stack.relay = this;
  }

  get #attached(): RelayNode {
    if (!this.#node) throw new Error("relay: not attached to a node");
    return this.#node;
  }

  #port(): number {
    return this.#attached.ports.sip;
  }

  #send(m: SipMessage, flow: Flow): Promise<void> {
    return this.#attached.stack.send(m, flow);
  }

  /** The Path (RFC 3327 §5) of a binding on `flow`: other nodes Route requests for it through it. */
  pathFor(flow: Flow): string {
    return this.#uri({ kind: "path", flow }, "tcp", this.#port());
  }

  /** A request whose top Route is this node's relay URI is relayed (true); others are not ours. */
  request(req: SipRequest, flow: Flow): boolean {
    if (!hasHeader(req, "route")) return false;
    const routes = getRoutes(req);
    const tokens: FlowToken[] = [];
    for (const route of routes) {
      const own = this.#own(route.uri);
      if (own === "not-ours") break;
      if (own === "bad") return this.#refuse(req, flow, 403, "Forbidden (not a route of this cluster)");
      tokens.push(own);
    }
    // The first of this node's routes says which way (a dialog's requests carry both of its).
    const token = tokens[0];
    if (token === undefined) return false;
    const maxForwards = getMaxForwards(req) ?? 70;
    if (maxForwards <= 0) return this.#refuse(req, flow, 483, "Too Many Hops");
    const initial = getTo(req)?.tag === undefined;
    const inDialog = !initial || req.method === "ACK" || req.method === "CANCEL";
    let dest: Flow;
    if (token.kind === "up" && token.peer && inDialog) {
      dest = { transport: "tcp", remoteAddress: token.peer.address, remotePort: token.peer.port };
    } else if ((token.kind === "path" || token.kind === "down") && this.#trusted(flow.remoteAddress)) {
      dest = token.flow;
    } else {
      return this.#refuse(req, flow, 403, "Forbidden (not relayed)");
    }
    // As it came, for a stateless answer if it cannot be sent on.
    const received: SipRequest = { ...req, headers: [...req.headers] };
    const top = getTopVia(req);
    req.headers = req.headers.filter((h) => h.key !== "route");
    for (const route of routes.slice(tokens.length))
      req.headers.push(createHeader("Route", serializeNameAddr(route)));
    setHeader(req, "Max-Forwards", String(maxForwards - 1));
    if (token.kind === "path" && req.method === "INVITE" && initial && top) {
      // The dialog's later requests pass here too (RFC 3261 §16.6 step 4), one URI per side.
      // The anchoring node, where its Via says it listens (it is a node: #trusted said so).
      const peer = { address: top.host.replace(/^\[|\]$/g, ""), port: top.port ?? DEFAULT_PORT };
      const facing = this.#attached.localAddress(token.flow);
      prependHeader(req, "Record-Route", this.#uri({ kind: "down", flow: token.flow }, "tcp", this.#port()));
      prependHeader(
        req,
        "Record-Route",
        this.#uri({ kind: "up", flow: token.flow, peer }, facing.transport.toLowerCase(), facing.port),
      );
    }
    // RFC 3261 §16.11: the same branch for an INVITE, its CANCEL and its non-2xx ACK.
    const cseq = /^\s*(\d+)/.exec(getHeader(req, "cseq") ?? "")?.[1] ?? "";
    const key = `${top?.branch ?? ""}|${top?.host ?? ""}:${top?.port ?? ""}|${getHeader(req, "call-id") ?? ""}|${cseq}`;
    const branch = RELAY_BRANCH + digest(`${key}|${token.kind}`);
    const back = this.#tokens.encode({ kind: "via", flow });
    const local = this.#attached.localAddress(dest);
    prependHeader(
      req,
      "Via",
      `SIP/2.0/${local.transport} ${this.#hostPort(local.port)};branch=${branch};rport;${FLOW_PARAM}=${back}`,
    );
    this.stats.requests++;
    this.#send(req, dest).catch((err: unknown) => {
      relayLog.info({ method: req.method, err: (err as Error).message }, "relayed request not sent");
      // RFC 5626 §5.3: the flow is gone. Stateless: the answer goes where the request came from.
      this.#refuse(received, flow, 430, "Flow Failed");
    });
    return true;
  }

  /** A response to a request this node relayed goes where its Via says (true); others are not ours. */
  response(res: SipResponse, _flow: Flow): boolean {
    const top = getTopVia(res);
    if (!top?.branch?.startsWith(RELAY_BRANCH)) return false;
    const param = top.params.get(FLOW_PARAM);
    const token = param ? this.#tokens.decode(param) : undefined;
    // Only a Via this node signed is followed: anything else is dropped, never reflected.
    if (token?.kind !== "via" || top.host.replace(/^\[|\]$/g, "") !== this.#host) return true;
    popVia(res);
    this.stats.responses++;
    this.#send(res, token.flow).catch((err: unknown) => {
      relayLog.info({ status: res.status, err: (err as Error).message }, "relayed response not sent");
    });
    return true;
  }

  #uri(token: FlowToken, transport: string, port: number): string {
    return `<sip:${this.#tokens.encode(token)}@${this.#hostPort(port)};transport=${transport};lr;${MARK}>`;
  }

  #hostPort(port: number): string {
    const host = this.#host.includes(":") ? `[${this.#host}]` : this.#host;
    return `${host}:${port}`;
  }

  /** The token of a relay URI naming this node; "bad" when its signature does not hold. */
  #own(uri: string): FlowToken | "bad" | "not-ours" {
    const parsed = parseSipUriString(uri);
    if (!parsed.ok) return "not-ours";
    const { host, user, params } = parsed.value;
    if (!params.has(MARK) || host.replace(/^\[|\]$/g, "") !== this.#host) return "not-ours";
    const token = user === undefined ? undefined : this.#tokens.decode(user);
    return token === undefined || token.kind === "via" ? "bad" : token;
  }

  /** A stateless final response (RFC 3261 §16.11); none to an ACK (§17.1.1.3). */
  #refuse(req: SipRequest, flow: Flow, status: number, reason: string): true {
    this.stats.refused++;
    if (req.method !== "ACK")
      this.#send(createResponse(req, status, reason, { toTag: generateTag() }), flow).catch(() => undefined);
    return true;
  }
}

function digest(s: string): string {
  return createHash("sha256").update(s).digest("base64url").slice(0, 22);
}

/** Removes the top Via value (RFC 3261 §16.7 step 3), keeping the rest of its line. */
function popVia(res: SipResponse): void {
  const i = res.headers.findIndex((h) => h.key === "via");
  const line = res.headers[i];
  if (line === undefined) return;
  const rest = splitCommas(line.value).slice(1);
  if (rest.length === 0) res.headers.splice(i, 1);
  else res.headers[i] = { ...line, value: rest.join(", ") };
}
