import { readFileSync } from "node:fs";
import { TcpTransport } from "./tcp-transport.js";
import type { Flow, OnClosed, OnMessage } from "./types.js";
import { UdpTransport } from "./udp-transport.js";
import { WsTransport } from "./ws-transport.js";

export interface TransportLayerOptions {
  listenIp: string;
  sipPort: number;
  wsPort: number;
  wsAllowedOrigins?: string[];
  tls?: { certFile: string; keyFile: string } | undefined;
  onMessage: OnMessage;
  onClosed: OnClosed;
}

/** UDP and TCP on one port, WebSocket on another; one `send` for every flow. */
export class TransportLayer {
  readonly udp: UdpTransport;
  readonly tcp: TcpTransport;
  readonly ws: WsTransport;
  readonly #opts: TransportLayerOptions;
  ports = { sip: 0, ws: 0 };

  constructor(opts: TransportLayerOptions) {
    this.#opts = opts;
    this.udp = new UdpTransport(opts.onMessage);
    this.tcp = new TcpTransport(
      {
        idleTimeoutMs: 300_000,
        headerTimeoutMs: 10_000,
        maxConnectionsPerSource: 64,
      },
      opts.onMessage,
      opts.onClosed,
    );
    const tls = opts.tls
      ? { cert: readFileSync(opts.tls.certFile, "utf8"), key: readFileSync(opts.tls.keyFile, "utf8") }
      : undefined;
    this.ws = new WsTransport(
      {
        maxPayload: 64 * 1024,
        allowedOrigins: opts.wsAllowedOrigins ?? [],
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
  }

  send(flow: Flow, data: Uint8Array): Promise<void> {
    switch (flow.transport) {
      case "udp":
        return this.udp.send(flow, data);
      case "tcp":
        return this.tcp.send(flow, data);
      case "ws":
      case "wss":
        return this.ws.send(flow, data);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.ws.close(), this.tcp.close(), this.udp.close()]);
  }
}
