/**
 * A node as the edge of its flows for the other nodes of a cluster (SPEC §2, docs/scale-out.md):
 * a call that another node anchors, for a user whose WebSocket (or phone) this node holds, passes
 * through here as SIP between nodes. The binding's Path (RFC 3327) names this node and the flow;
 * the anchoring node sends the INVITE with that Route (RFC 3261 §16.12 loose routing); this node
 * forwards it down the flow statelessly (§16.11), Record-Routes itself (§16.6 step 4) with the flow
 * and the anchoring node in the URI, and from then on forwards every request of the dialog to the
 * other side: from the flow to the anchoring node, from anywhere else down the flow. Responses
 * follow the Via this node added (§16.7, §18.2.2). Media is not relayed: it is anchored, with the
 * call, on the other node.
 *
 * Only URIs signed with the cluster's token secret are followed (flow-token.ts), so a user agent
 * cannot use a node as a relay to anywhere else.
 */
import { createHash } from "node:crypto";
import {
  createHeader,
  createResponse,
  generateTag,
  getMaxForwards,
  getTo,
  getTopVia,
  getVias,
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
  type Via,
} from "@hookline/sip-core";
import { log } from "@hookline/log";
import type { LocalAddress } from "../b2bua/leg.js";
import type { SipRelay } from "../sip/sip-stack.js";
import type { Flow, TransportName } from "../transport/types.js";
import { sameFlow, type FlowToken, type FlowTokens } from "./flow-token.js";

const relayLog = log.child({ component: "relay" });

/** The branch of every Via a relay adds: never one of generateBranch's (base64url has no dot). */
export const RELAY_BRANCH = "z9hG4bK.hl.";
/** The Via parameter naming the flow a response goes down. */
const FLOW_PARAM = "hl-flow";
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
  /** Requests and responses relayed, and requests refused, for tests and logs. */
  readonly stats = { requests: 0, responses: 0, refused: 0 };

  constructor(tokens: FlowTokens, host: string) {
    this.#tokens = tokens;
    this.#host = host;
  }

  /** From now on the node's SIP stack hands each message here first. */
  attach(node: RelayNode): void {
    this.#node = node;
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
    return this.#uri({ flow });
  }

  /** A request whose top Route is this node's relay URI is relayed (true); others are not ours. */
  request(req: SipRequest, flow: Flow): boolean {
    if (!hasHeader(req, "route")) return false;
    const routes = getRoutes(req);
    let token: FlowToken | undefined;
    let ours = 0;
    for (const route of routes) {
      const own = this.#own(route.uri);
      if (own === "not-ours") break;
      ours++;
      if (own === "bad") return this.#refuse(req, flow, 403, "Forbidden (not a route of this cluster)");
      token = own;
    }
    if (ours === 0 || token === undefined) return false;
    const maxForwards = getMaxForwards(req) ?? 70;
    if (maxForwards <= 0) return this.#refuse(req, flow, 483, "Too Many Hops");

    // The flow's own requests go on to the node that relayed its dialog's INVITE; all others down it.
    const up = sameFlow(flow, token.flow);
    if (up && token.peer === undefined) return this.#refuse(req, flow, 403, "Forbidden (no next hop)");
    // As it came, for a stateless answer if it cannot be sent on.
    const received: SipRequest = { ...req, headers: [...req.headers] };
    const dest: Flow = up
      ? { transport: "udp", remoteAddress: token.peer!.address, remotePort: token.peer!.port }
      : token.flow;
    req.headers = req.headers.filter((h) => h.key !== "route");
    for (const route of routes.slice(ours)) req.headers.push(createHeader("Route", serializeNameAddr(route)));
    setHeader(req, "Max-Forwards", String(maxForwards - 1));
    const branch = RELAY_BRANCH + digest(`${getTopVia(req)?.branch ?? ""}|${up ? "up" : "down"}`);
    if (up) {
      // The response comes back here, and goes down the flow the Via names.
      const flowParam = this.#tokens.encode({ flow: token.flow });
      prependHeader(
        req,
        "Via",
        `SIP/2.0/UDP ${this.#hostPort()};branch=${branch};rport;${FLOW_PARAM}=${flowParam}`,
      );
    } else {
      const local = this.#attached.localAddress(dest);
      prependHeader(
        req,
        "Via",
        `SIP/2.0/${local.transport} ${local.host}:${local.port};branch=${branch};rport`,
      );
      // The dialog's later requests pass here too, whichever side sends them (RFC 3261 §16.6 step 4).
      if (req.method === "INVITE" && getTo(req)?.tag === undefined) {
        const peer = { address: flow.remoteAddress, port: flow.remotePort };
        prependHeader(req, "Record-Route", this.#uri({ flow: token.flow, peer }));
      }
    }
    this.stats.requests++;
    this.#send(req, dest).catch((err: unknown) => {
      relayLog.info({ method: req.method, err: (err as Error).message }, "relayed request not sent");
      // RFC 5626 §5.3: the flow is gone. Stateless: the answer goes where the request came from.
      this.#refuse(received, flow, 430, "Flow Failed");
    });
    return true;
  }

  /** A response to a request this node relayed goes on to the next Via (true); others are not ours. */
  response(res: SipResponse, _flow: Flow): boolean {
    const top = getTopVia(res);
    if (!top?.branch?.startsWith(RELAY_BRANCH)) return false;
    const vias = getVias(res);
    const next = vias[1];
    const flowParam = top.params.get(FLOW_PARAM);
    popVia(res);
    let dest: Flow | undefined;
    if (flowParam) dest = this.#tokens.decode(flowParam)?.flow;
    else if (next !== undefined) dest = viaFlow(next);
    if (dest === undefined) return true;
    this.stats.responses++;
    this.#send(res, dest).catch((err: unknown) => {
      relayLog.info({ status: res.status, err: (err as Error).message }, "relayed response not sent");
    });
    return true;
  }

  #uri(token: FlowToken): string {
    return `<sip:${this.#tokens.encode(token)}@${this.#hostPort()};transport=udp;lr>`;
  }

  #hostPort(): string {
    const host = this.#host.includes(":") ? `[${this.#host}]` : this.#host;
    return `${host}:${this.#port()}`;
  }

  /** The token of a route naming this node; "bad" when it names this node without a valid one. */
  #own(uri: string): FlowToken | "bad" | "not-ours" {
    const parsed = parseSipUriString(uri);
    if (!parsed.ok) return "not-ours";
    const { host, port, user } = parsed.value;
    if (host.replace(/^\[|\]$/g, "") !== this.#host || (port ?? DEFAULT_PORT) !== this.#port())
      return "not-ours";
    if (!parsed.value.params.has("lr")) return "not-ours";
    return (user !== undefined && this.#tokens.decode(user)) || "bad";
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

/** Where a response to this Via goes (RFC 3261 §18.2.2, RFC 3581 §4): received and rport first. */
function viaFlow(via: Via): Flow | undefined {
  const transport = via.transport.toLowerCase();
  if (transport !== "udp") return undefined;
  const rport = Number(via.params.get("rport"));
  return {
    transport: transport as TransportName,
    remoteAddress: (via.params.get("received") ?? via.host).replace(/^\[|\]$/g, ""),
    remotePort: rport > 0 ? rport : (via.port ?? DEFAULT_PORT),
  };
}
