import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import https from "node:https";
import http from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { parseMessage } from "@hookline/sip-core";
import { TransportError, type Flow, type OnClosed, type OnMessage } from "./types.js";

export interface WsOptions {
  /** Largest message accepted; beyond it the connection is closed with 1009 (RFC 6455 §7.4.1). */
  maxPayload: number;
  /** Allowed Origin values; empty allows any (browsers send one, SIP endpoints often none). */
  allowedOrigins: string[];
  /** At most this many WebSocket connections; further upgrades get 503. Default 10,000. */
  maxConnections?: number;
  /**
   * At most this many from one source address; further upgrades from it get 429, so one source
   * cannot take the slots of all others (SPEC §6). Default 256: above TCP's 64, because an
   * office of browser softphones often shares one NAT address.
   */
  maxConnectionsPerSource?: number;
  /** Interval of WebSocket pings; a connection that missed one pong is closed. */
  pingIntervalMs: number;
  /** WSS when both are given (PEM). */
  tls?: { cert: string; key: string };
}

const CRLF = Buffer.from("\r\n");

/**
 * SIP over WebSocket (RFC 7118): subprotocol `sip` required, one SIP message per frame (text or
 * binary), CRLF keep-alives (RFC 5626 §4.4.1) answered and never parsed as SIP.
 */
export class WsTransport {
  readonly #opts: WsOptions;
  readonly #sockets = new Map<string, { ws: WebSocket; flow: Flow; alive: boolean }>();
  readonly #onMessage: OnMessage;
  readonly #onClosed: OnClosed;
  /** Upgrades admitted and not yet closed, in all and per source; counted from the handshake on. */
  #admitted = 0;
  readonly #perSource = new Map<string, number>();
  #server: http.Server | undefined;
  #wss: WebSocketServer | undefined;
  #pinger: NodeJS.Timeout | undefined;

  constructor(opts: WsOptions, onMessage: OnMessage, onClosed: OnClosed) {
    this.#opts = opts;
    this.#onMessage = onMessage;
    this.#onClosed = onClosed;
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  async listen(host: string, port: number): Promise<number> {
    const tls = this.#opts.tls;
    const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }) : http.createServer();
    server.on("request", (_req, res) => {
      res.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" });
      res.end("SIP over WebSocket: upgrade with subprotocol 'sip'\n");
    });
    const transport = tls ? "wss" : "ws";
    const wss = new WebSocketServer({
      server,
      maxPayload: this.#opts.maxPayload,
      // No compression (RFC 7692 is not offered): a SIP message is small and a deflate context
      // per connection costs CPU and about 300 KB of memory.
      perMessageDeflate: false,
      // RFC 7118 §4: the server MUST refuse a handshake that does not offer `sip`.
      handleProtocols: (protocols) => (protocols.has("sip") ? "sip" : false),
      verifyClient: (
        info: { origin: string; req: IncomingMessage },
        cb: (ok: boolean, code?: number) => void,
      ) => {
        const offered = String(info.req.headers["sec-websocket-protocol"] ?? "")
          .split(",")
          .map((s) => s.trim());
        if (!offered.includes("sip")) return cb(false, 400);
        const allowed = this.#opts.allowedOrigins;
        if (allowed.length > 0 && !allowed.includes(info.origin)) return cb(false, 403);
        const refusal = this.#admit(info.req);
        if (refusal !== undefined) return cb(false, refusal);
        cb(true);
      },
    });
    this.#server = server;
    this.#wss = wss;
    wss.on("connection", (ws, req) => {
      const flow: Flow = {
        transport,
        remoteAddress: (req.socket.remoteAddress ?? "?").replace(/^::ffff:/, ""),
        remotePort: req.socket.remotePort ?? 0,
        connectionId: randomUUID(),
      };
      const entry = { ws, flow, alive: true };
      this.#sockets.set(flow.connectionId!, entry);
      ws.on("pong", () => (entry.alive = true));
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        entry.alive = true;
        if (isKeepAlive(data)) {
          // RFC 5626 §4.4.1: a double CRLF ping gets a single CRLF pong.
          if (data.length === 4) ws.send(isBinary ? CRLF : "\r\n");
          return;
        }
        // RFC 7118 §5: each frame carries exactly one SIP message.
        this.#onMessage(parseMessage(data), flow);
      });
      ws.on("error", () => ws.terminate());
      ws.on("close", () => {
        this.#sockets.delete(flow.connectionId!);
        this.#onClosed(flow);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#pinger = setInterval(() => this.#ping(), this.#opts.pingIntervalMs).unref();
    return (server.address() as AddressInfo).port;
  }

  send(flow: Flow, data: Uint8Array): Promise<void> {
    const entry = flow.connectionId ? this.#sockets.get(flow.connectionId) : undefined;
    if (!entry) {
      // Browsers' contacts are `.invalid` hosts: only the connection they registered on reaches them.
      return Promise.reject(new TransportError("TRANSPORT_NO_CONNECTION", "WebSocket connection is gone"));
    }
    return new Promise((resolve, reject) =>
      // Text frames: SIP is UTF-8 text and browsers' sip.js expects strings. The serialized
      // bytes go as they are (`binary: false` sets the opcode), not decoded and encoded again.
      entry.ws.send(data, { binary: false }, (err) =>
        err ? reject(new TransportError("TRANSPORT_SEND_FAILED", err.message)) : resolve(),
      ),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#pinger);
    for (const { ws } of this.#sockets.values()) ws.close(1001, "server shutting down");
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
    for (const { ws } of this.#sockets.values()) ws.terminate();
    const server = this.#server;
    this.#server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /**
   * Counts an upgrade against the caps until its socket closes, or says why not. Counted at the
   * handshake, not at `connection`, so a burst of simultaneous upgrades cannot slip past the caps.
   */
  #admit(req: IncomingMessage): 429 | 503 | undefined {
    const source = (req.socket.remoteAddress ?? "?").replace(/^::ffff:/, "");
    const fromSource = this.#perSource.get(source) ?? 0;
    if (fromSource >= (this.#opts.maxConnectionsPerSource ?? 256)) return 429;
    if (this.#admitted >= (this.#opts.maxConnections ?? 10_000)) return 503;
    this.#admitted++;
    this.#perSource.set(source, fromSource + 1);
    req.socket.once("close", () => {
      this.#admitted--;
      const left = (this.#perSource.get(source) ?? 1) - 1;
      if (left > 0) this.#perSource.set(source, left);
      else this.#perSource.delete(source);
    });
    return undefined;
  }

  #ping(): void {
    for (const entry of this.#sockets.values()) {
      if (!entry.alive) {
        entry.ws.terminate();
        continue;
      }
      entry.alive = false;
      entry.ws.ping();
    }
  }
}

function isKeepAlive(data: Buffer): boolean {
  for (const b of data) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}
