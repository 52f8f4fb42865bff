import { readFileSync } from "node:fs";
import { TcpTransport, type TcpOptions } from "./tcp-transport.js";
import { tlsSockets } from "./tls-sockets.js";
import type { Flow, OnClosed, OnMessage } from "./types.js";
import { UdpTransport } from "./udp-transport.js";
import { WsTransport } from "./ws-transport.js";

export interface TransportLayerOptions {
  listenIp: string;
  sipPort: number;
  wsPort: number;
  wsAllowedOrigins?: string[];
  wsLimits?: { maxConnections: number; maxConnectionsPerSource: number };
  /** The gateway's certificate and key: WSS instead of WS, and a SIP over TLS listener. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** The SIP over TLS listener's port (RFC 3261 §26.2: 5061 by default); only with `tls`. */
  tlsPort?: number;
  /** A PEM bundle of CAs trusted beside the system's for outbound TLS (private carrier CAs). */
  tlsCaFile?: string | undefined;
  onMessage: OnMessage;
  onClosed: OnClosed;
}

const STREAM_LIMITS: TcpOptions = {
  idleTimeoutMs: 300_000,
  headerTimeoutMs: 10_000,
  maxConnectionsPerSource: 64,
};

/**
 * UDP and TCP on one port, WebSocket on another, TLS on a third when the gateway has a
 * certificate (outbound TLS works without one); one `send` for every flow.
 */
export class TransportLayer {
  readonly udp: UdpTransport;
  readonly tcp: TcpTransport;
  readonly tls: TcpTransport;
  readonly ws: WsTransport;
  readonly #opts: TransportLayerOptions;
  /** `tls`: the SIP over TLS listener's port, when there is one. */
  ports: { sip: number; ws: number; tls?: number } = { sip: 0, ws: 0 };

  constructor(opts: TransportLayerOptions) {
    this.#opts = opts;
    this.udp = new UdpTransport(opts.onMessage);
    this.tcp = new TcpTransport(STREAM_LIMITS, opts.onMessage, opts.onClosed);
    const tls = opts.tls
      ? { cert: readFileSync(opts.tls.certFile, "utf8"), key: readFileSync(opts.tls.keyFile, "utf8") }
      : undefined;
    const sockets = tlsSockets({
      server: tls,
      extraCa: opts.tlsCaFile ? readFileSync(opts.tlsCaFile, "utf8") : undefined,
      handshakeTimeoutMs: STREAM_LIMITS.headerTimeoutMs,
    });
    this.tls = new TcpTransport({ ...STREAM_LIMITS, sockets }, opts.onMessage, opts.onClosed);
    this.ws = new WsTransport(
      {
        maxPayload: 64 * 1024,
        allowedOrigins: opts.wsAllowedOrigins ?? [],
        ...opts.wsLimits,
        pingIntervalMs: 30_000,
        ...(tls && { tls }),
      },
      opts.onMessage,
      opts.onClosed,
    );
  }

  async listen(): Promise<void> {
    const { listenIp, sipPort, wsPort } = this.#opts;
    // UDP and TCP share one port. With port 0 (tests) UDP picks one and TCP follows; should TCP
    // find it taken, pick again.
    for (let attempt = 1; ; attempt++) {
      const port = await this.udp.listen(listenIp, sipPort);
      try {
        await this.tcp.listen(listenIp, port);
        this.ports.sip = port;
        break;
      } catch (err) {
        await this.udp.close();
        if (sipPort !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      }
    }
    this.ports.ws = await this.ws.listen(listenIp, wsPort);
    if (this.#opts.tls) this.ports.tls = await this.tls.listen(listenIp, this.#opts.tlsPort ?? 5061);
  }

  send(flow: Flow, data: Uint8Array): Promise<void> {
    switch (flow.transport) {
      case "udp":
        return this.udp.send(flow, data);
      case "tcp":
        return this.tcp.send(flow, data);
      case "tls":
        return this.tls.send(flow, data);
      case "ws":
      case "wss":
        return this.ws.send(flow, data);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.ws.close(), this.tls.close(), this.tcp.close(), this.udp.close()]);
  }
}
