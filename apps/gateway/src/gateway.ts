/**
 * The SIP side of Hookline: transports → SIP stack → transaction layer → registrar / B2BUA.
 * Requests are dispatched here by method and dialog; responses go to their client transaction.
 */
import {
  createResponse,
  generateTag,
  getTo,
  TransactionLayer,
  type SipRequest,
  type SipResponse,
  type Timers,
  type Transport,
} from "@hookline/sip-core";
import { B2bua, type CallDirectory } from "./b2bua/b2bua.js";
import type { CallRecorder } from "./b2bua/call-recorder.js";
import type { LocalAddress } from "./b2bua/leg.js";
import type { MediaPort } from "./b2bua/media-port.js";
import type { CallRouter, InboundTrunks } from "./b2bua/ports.js";
import { relayMessage } from "./b2bua/pager.js";
import { SipStack } from "./sip/sip-stack.js";
import { TransportLayer } from "./transport/transport-layer.js";
import { responseFlow } from "./transport/response-flow.js";
import type { Flow } from "./transport/types.js";
import { log } from "@hookline/log";

const sipLog = log.child({ component: "sip" });

export const ALLOWED_METHODS = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, NOTIFY, UPDATE, REGISTER";

/** What REGISTER and a closed connection need (the registrar, RFC 3261 §10). */
export interface RegistrarPort {
  handle(req: SipRequest, flow: Flow): Promise<SipResponse>;
  connectionClosed(connectionId: string): void;
}

export interface GatewayOptions {
  listenIp: string;
  publicIp: string;
  sipPort: number;
  wsPort: number;
  wsAllowedOrigins?: string[];
  /** WebSocket admission caps (SPEC §6); the transport's defaults (10,000 / 256) without. */
  wsLimits?: { maxConnections: number; maxConnectionsPerSource: number };
  tls?: { certFile: string; keyFile: string } | undefined;
  /** SIP over TLS listener port (with `tls`) and extra CAs for outbound TLS (transport-layer.ts). */
  tlsPort?: number;
  tlsCaFile?: string | undefined;
  directory: CallDirectory;
  registrar: RegistrarPort;
  recorder: CallRecorder;
  /** The media plane; SDP passes through unchanged without one. */
  media?: MediaPort;
  /** Steers new calls (the application hook, SPEC §5); the default route without one. */
  router?: CallRouter;
  /** Carriers' and PBXs' INVITEs (SPEC §3 trunks); without it every INVITE is a user's call. */
  trunks?: InboundTrunks;
  ringTimeoutMs?: number;
  t1Ms?: number;
  onNewCall?: (call: { id: string; accountId: string }, invite: SipRequest) => Promise<void>;
  /**
   * Asked for each new INVITE before the B2BUA sees it; false refuses the call with 503 (the
   * database cannot write: a call would be carried without its records and callbacks). Calls in
   * progress are not affected.
   */
  canAcceptCalls?: () => boolean;
}

/**
 * Real time for the transaction layer and the B2BUA (sip-core itself never calls setTimeout). The
 * clock lets the layer keep finished transactions' wait timers under one timer.
 */
export const nodeTimers: Timers = {
  setTimer: (ms, fn) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  get now() {
    return performance.now();
  },
};

export class Gateway {
  readonly transports: TransportLayer;
  readonly stack: SipStack;
  readonly layer: TransactionLayer;
  readonly b2bua: B2bua;
  readonly directory: CallDirectory;
  readonly #opts: GatewayOptions;
  /** New calls answered 503 because `canAcceptCalls` said no. */
  refusedCalls = 0;

  constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.directory = opts.directory;
    this.transports = new TransportLayer({
      ...opts,
      onMessage: (result, flow) => this.stack.receive(result, flow),
      onClosed: (flow) => this.#onClosed(flow),
    });
    this.stack = new SipStack((flow, data) => this.transports.send(flow, data));
    const t1 = opts.t1Ms ?? 500;
    this.layer = new TransactionLayer({ timers: nodeTimers, config: { t1 }, autoTryingMs: false });
    this.b2bua = new B2bua({
      layer: this.layer,
      directory: opts.directory,
      recorder: opts.recorder,
      send: (m, flow) => this.stack.send(m, flow),
      transportFor: (flow) => this.transportFor(flow),
      localAddress: (flow) => this.localAddress(flow),
      timers: nodeTimers,
      ringTimeoutMs: opts.ringTimeoutMs ?? 60_000,
      t1Ms: t1,
      ...(opts.onNewCall && { onNewCall: opts.onNewCall }),
      ...(opts.media && { media: opts.media }),
      ...(opts.router && { router: opts.router }),
      ...(opts.trunks && { trunks: opts.trunks }),
    });
    this.stack.setHandlers({
      onRequest: (req, flow) => this.#onRequest(req, flow),
      onResponse: (res) => void this.layer.receiveResponse(res),
    });
  }

  get ports(): { sip: number; ws: number; tls?: number } {
    return this.transports.ports;
  }

  async start(): Promise<void> {
    await this.transports.listen();
  }

  /** Stops new calls (503), lets calls finish up to `deadlineMs`, BYEs the rest, closes sockets. */
  async stop(deadlineMs = 0): Promise<void> {
    await this.b2bua.drain(deadlineMs);
    // Let the BYEs leave before the sockets close.
    if (this.b2bua.activeCalls > 0 || deadlineMs > 0) await new Promise((r) => setTimeout(r, 200));
    this.layer.shutdown();
    await this.transports.close();
  }

  transportFor(flow: Flow): Transport {
    return {
      reliable: flow.transport !== "udp",
      send: (m) => {
        // RFC 3261 §18.2.2: a response whose TCP or TLS connection is gone goes to the top Via's
        // `received` address and sent-by port, on a new connection.
        const stream = flow.transport === "tcp" || flow.transport === "tls" ? flow.transport : undefined;
        const closed = stream !== undefined && !this.transports[stream].isOpen(flow.connectionId);
        return this.stack.send(m, closed && m.kind === "response" ? (responseFlow(m, stream) ?? flow) : flow);
      },
    };
  }

  localAddress(flow: Flow): LocalAddress {
    const host = this.#opts.publicIp;
    switch (flow.transport) {
      case "ws":
      case "wss":
        return { transport: flow.transport.toUpperCase(), host, port: this.ports.ws };
      case "tls":
        // Without a listener (no certificate) outbound TLS still works while the peer sends its
        // requests back on our connection; Via and Contact name the port a listener would have.
        return { transport: "TLS", host, port: this.ports.tls ?? (this.#opts.tlsPort || 5061) };
      default:
        return { transport: flow.transport.toUpperCase(), host, port: this.ports.sip };
    }
  }

  #onRequest(req: SipRequest, flow: Flow): void {
    const result = this.layer.receiveRequest(req, this.transportFor(flow));
    switch (result.kind) {
      case "absorbed":
        return;
      case "invalid":
        // SipStack.send logs a failed send; the peer may well be gone (hostile input, SPEC §6).
        if (req.method !== "ACK")
          this.stack.send(createResponse(req, 400, `Bad Request (${result.reason})`), flow).catch(() => {});
        return;
      case "ack":
        this.b2bua.onAck(req);
        return;
      case "new":
        break;
    }
    const tx = result.transaction;
    const reply = (status: number, reason?: string, headers?: [string, string][]) =>
      tx.respond(createResponse(req, status, reason, { toTag: generateTag(), ...(headers && { headers }) }));
    // An answer computed asynchronously may find its transaction ended meanwhile (the layer shut
    // down, or the handler already answered before it failed): a throw there would be an
    // unhandled rejection, which ends the process.
    const late = (respond: () => void) => {
      try {
        respond();
      } catch (err) {
        sipLog.warn({ method: req.method, err: (err as Error).message }, "late response not sent");
      }
    };
    const inDialog = getTo(req)?.tag !== undefined;
    switch (req.method) {
      case "REGISTER":
        this.#opts.registrar.handle(req, flow).then(
          (res) => late(() => tx.respond(res)),
          (err: unknown) => {
            sipLog.error({ err }, "REGISTER failed");
            late(() => reply(500, "Server Internal Error"));
          },
        );
        return;
      case "INVITE":
        if (inDialog) return this.b2bua.onInDialog(req, tx);
        // RFC 3261 §21.5.4: a temporary overload; Retry-After says when to try again.
        if (this.#opts.canAcceptCalls && !this.#opts.canAcceptCalls()) {
          this.refusedCalls++;
          return reply(503, "Service Unavailable", [["Retry-After", "60"]]);
        }
        if (tx.method === "INVITE") {
          this.b2bua.onInvite(req, flow, tx as Parameters<B2bua["onInvite"]>[2]).catch((err: unknown) => {
            sipLog.error({ err }, "INVITE failed");
            if (tx.state === "proceeding") late(() => reply(500, "Server Internal Error"));
          });
        }
        return;
      case "CANCEL":
        return this.b2bua.onCancel(req, tx, this.layer.findInviteForCancel(req));
      case "OPTIONS":
        if (inDialog) return this.b2bua.onInDialog(req, tx);
        // RFC 3261 §11.2: capabilities of the gateway itself.
        return reply(200, "OK", [
          ["Allow", ALLOWED_METHODS],
          ["Accept", "application/sdp"],
          ["Supported", "path, outbound"],
        ]);
      case "BYE":
      case "INFO":
      case "UPDATE":
      case "NOTIFY":
      case "PRACK":
      case "REFER":
        if (inDialog) return this.b2bua.onInDialog(req, tx);
        return reply(481, "Call/Transaction Does Not Exist");
      case "MESSAGE":
        if (inDialog) return this.b2bua.onInDialog(req, tx);
        relayMessage(this, req, flow, tx).catch((err: unknown) => {
          sipLog.error({ err, method: req.method }, "out-of-dialog request not relayed");
          late(() => reply(500, "Server Internal Error"));
        });
        return;
      default:
        return reply(501, "Not Implemented", [["Allow", ALLOWED_METHODS]]);
    }
  }

  #onClosed(flow: Flow): void {
    if (!flow.connectionId) return;
    this.#opts.registrar.connectionClosed(flow.connectionId);
    this.b2bua.onConnectionClosed(flow.connectionId);
  }
}
