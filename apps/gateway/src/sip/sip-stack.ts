/**
 * The gateway's SIP core: transport → parser → (this) → handlers. Stamps `received`/`rport` on
 * the top Via of requests (RFC 3261 §18.2.1, RFC 3581 §4), answers malformed requests and
 * requests without a mandatory header (RFC 3261 §8.1.1) with 400 (SPEC §6), and sends through the
 * transport layer.
 */
import {
  createResponse,
  getHeader,
  generateTag,
  getTopVia,
  missingMandatoryHeader,
  serializeMessage,
  serializeVia,
  setHeader,
  type ParseMessageResult,
  type SipHeader,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import { log } from "@hookline/log";

const sipLog = log.child({ component: "sip" });

export interface SipStackHandlers {
  onRequest(request: SipRequest, flow: Flow): void;
  onResponse(response: SipResponse, flow: Flow): void;
}

/** Requests routed through this node for another (cluster/relay.ts): true when it took the message. */
export interface SipRelay {
  request(request: SipRequest, flow: Flow): boolean;
  response(response: SipResponse, flow: Flow): boolean;
}

export interface SipStackStats {
  received: number;
  sent: number;
  malformed: number;
}

export class SipStack {
  readonly stats: SipStackStats = { received: 0, sent: 0, malformed: 0 };
  #handlers: SipStackHandlers | undefined;
  /** Sees every well-formed message received and every message sent (metrics.ts); must not throw. */
  onMessage: ((message: SipMessage, direction: "received" | "sent") => void) | undefined;
  readonly #send: (flow: Flow, data: Uint8Array) => Promise<void>;
  /** Set on a node of a cluster: sees each message before the handlers. */
  relay: SipRelay | undefined;

  constructor(send: (flow: Flow, data: Uint8Array) => Promise<void>) {
    this.#send = send;
  }

  setHandlers(handlers: SipStackHandlers): void {
    this.#handlers = handlers;
  }

  /** Entry point for every parse result the transports produce. Never throws. */
  receive(result: ParseMessageResult, flow: Flow): void {
    try {
      this.#receive(result, flow);
    } catch (err) {
      // A bug in a handler must not take the process down with one message (SPEC §6).
      sipLog.error({ err }, "handler failed");
    }
  }

  #receive(result: ParseMessageResult, flow: Flow): void {
    if (!result.ok) {
      this.stats.malformed++;
      const partial = result.error.partial;
      if (partial?.kind === "request") {
        this.#badRequest(
          partial.method ?? "UNKNOWN",
          partial.uri ?? "",
          partial.headers,
          result.error.message,
          flow,
        );
      }
      return;
    }
    const m = result.message;
    this.onMessage?.(m, "received");
    if (m.kind === "request") {
      // RFC 3261 §8.1.1: To, From, CSeq, Call-ID and Via are mandatory; a UAS cannot match or
      // answer a request properly without them (§8.2.6.2, §17.2.3), so it is refused, not served.
      const missing = missingMandatoryHeader(m);
      if (missing !== undefined) {
        this.stats.malformed++;
        this.#badRequest(m.method, m.uri, m.headers, `missing ${missing} header`, flow);
        return;
      }
      this.stats.received++;
      this.stampVia(m, flow);
      if (this.relay?.request(m, flow)) return;
      this.#handlers?.onRequest(m, flow);
    } else {
      // A response without what matching needs finds no client transaction and is dropped there.
      this.stats.received++;
      if (this.relay?.response(m, flow)) return;
      this.#handlers?.onResponse(m, flow);
    }
  }

  /**
   * 400 for a request that cannot be served (SPEC §6), naming why, with whatever of Via, From,
   * To, Call-ID and CSeq it had (RFC 3261 §8.2.6.2). Never to an ACK (§17.2.1). Without a Via a
   * response has no address but the connection it came on (§18.2.2): over UDP it is dropped, so
   * that a forged source address gets nothing sent to it.
   */
  #badRequest(method: string, uri: string, headers: readonly SipHeader[], why: string, flow: Flow): void {
    if (method === "ACK") return;
    const hasVia = headers.some((h) => h.key === "via");
    if (!hasVia && flow.transport === "udp") return;
    const req: SipRequest = { kind: "request", method, uri, headers: [...headers], body: new Uint8Array(0) };
    this.stampVia(req, flow);
    const reason = `Bad Request (${why})`.replace(/[\r\n]/g, " ").slice(0, 200);
    void this.send(createResponse(req, 400, reason, { toTag: generateTag() }), flow).catch(() => {});
  }

  /** RFC 3261 §18.2.1 `received` and RFC 3581 §4 `rport`, so responses find their way back. */
  stampVia(req: SipRequest, flow: Flow): void {
    const via = getTopVia(req);
    if (!via) return;
    const params = new Map(via.params);
    if (via.host.replace(/^\[|\]$/g, "") !== flow.remoteAddress) params.set("received", flow.remoteAddress);
    if (params.has("rport")) {
      params.set("received", flow.remoteAddress);
      params.set("rport", String(flow.remotePort));
    }
    if (params.size === via.params.size && [...params].every(([k, v]) => via.params.get(k) === v)) return;
    const idx = req.headers.findIndex((h) => h.key === "via");
    const header = req.headers[idx];
    if (!header) return;
    // Rewrite only the first Via value of that line, keeping the rest verbatim.
    const { rest } = splitFirstViaValue(header.value);
    const rebuilt = serializeVia({ ...via, params }) + rest;
    req.headers[idx] = { ...header, value: rebuilt };
  }

  async send(message: SipMessage, flow: Flow): Promise<void> {
    if (!getHeader(message, "content-length"))
      setHeader(message, "Content-Length", String(message.body.length));
    this.stats.sent++;
    this.onMessage?.(message, "sent");
    try {
      await this.#send(flow, serializeMessage(message));
    } catch (err) {
      sipLog.warn(
        {
          transport: flow.transport,
          address: `${flow.remoteAddress}:${flow.remotePort}`,
          err: (err as Error).message,
        },
        "send failed",
      );
      throw err;
    }
  }
}

/** Splits `a, b` at the first comma outside quotes/brackets, returning the tail with its comma. */
function splitFirstViaValue(raw: string): { first: string; rest: string } {
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) return { first: raw.slice(0, i), rest: raw.slice(i) };
  }
  return { first: raw, rest: "" };
}
