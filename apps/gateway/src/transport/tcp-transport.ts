import net from "node:net";
import { randomUUID } from "node:crypto";
import { StreamFramer } from "@hookline/sip-core";
import { flowKey, TransportError, type Flow, type OnClosed, type OnMessage } from "./types.js";
import { log } from "@hookline/log";

const sipLog = log.child({ component: "sip" });

export interface TcpOptions {
  /** A connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** A message whose bytes have started arriving must complete within this (slow-loris guard). */
  headerTimeoutMs: number;
  /** At most this many concurrent connections from one source address. */
  maxConnectionsPerSource: number;
  /** At most this many connections in all (accepted and opened); beyond it new ones are refused. */
  maxConnections?: number;
}

const CONNECT_TIMEOUT_MS = 5000;

interface Connection {
  readonly id: string;
  readonly socket: net.Socket;
  readonly flow: Flow;
  readonly framer: StreamFramer;
  partialSince: number | undefined;
}

/** SIP over TCP (RFC 3261 §18): messages framed by Content-Length, connections reused both ways. */
export class TcpTransport {
  readonly #opts: TcpOptions;
  readonly #byId = new Map<string, Connection>();
  readonly #byRemote = new Map<string, Connection>();
  readonly #perSource = new Map<string, number>();
  readonly #onMessage: OnMessage;
  readonly #onClosed: OnClosed;
  #server: net.Server | undefined;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: TcpOptions, onMessage: OnMessage, onClosed: OnClosed) {
    this.#opts = opts;
    this.#onMessage = onMessage;
    this.#onClosed = onClosed;
  }

  get connectionCount(): number {
    return this.#byId.size;
  }

  /** Whether a connection is still open. */
  isOpen(connectionId: string | undefined): boolean {
    return connectionId !== undefined && this.#byId.has(connectionId);
  }

  async listen(host: string, port: number): Promise<number> {
    const server = net.createServer((socket) => this.#accept(socket));
    this.#server = server;
    server.on("error", (err) => sipLog.error({ err, transport: "tcp" }, "listener error"));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const sweepEvery = Math.max(100, Math.min(1000, this.#opts.headerTimeoutMs / 2));
    this.#sweeper = setInterval(() => this.#sweepSlow(), sweepEvery).unref();
    return (server.address() as net.AddressInfo).port;
  }

  async send(flow: Flow, data: Uint8Array): Promise<void> {
    let conn = flow.connectionId ? this.#byId.get(flow.connectionId) : undefined;
    conn ??= this.#byRemote.get(flowKey(flow));
    // RFC 3261 §18.2.2: a response goes back on the connection the request came on; if that is
    // gone, requests (and responses, per §18.2.2's fallback) open a new one to the same address.
    conn ??= await this.#connect(flow.remoteAddress, flow.remotePort);
    await new Promise<void>((resolve, reject) =>
      conn.socket.write(data, (err) =>
        err ? reject(new TransportError("TRANSPORT_SEND_FAILED", err.message)) : resolve(),
      ),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const c of this.#byId.values()) c.socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  #accept(socket: net.Socket): void {
    const source = socket.remoteAddress ?? "?";
    const count = this.#perSource.get(source) ?? 0;
    if (
      count >= this.#opts.maxConnectionsPerSource ||
      this.#byId.size >= (this.#opts.maxConnections ?? 10_000)
    ) {
      socket.destroy();
      return;
    }
    this.#adopt(socket);
  }

  #connect(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
      socket.once("timeout", () => socket.destroy(new Error(`connect to ${host}:${port} timed out`)));
      socket.once("connect", () => {
        socket.off("error", onError);
        resolve(this.#adopt(socket));
      });
      const onError = (err: Error) => reject(new TransportError("TRANSPORT_NO_CONNECTION", err.message));
      socket.once("error", onError);
    });
  }

  #adopt(socket: net.Socket): Connection {
    const source = socket.remoteAddress ?? "?";
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    const flow: Flow = {
      transport: "tcp",
      remoteAddress: source.replace(/^::ffff:/, ""),
      remotePort: socket.remotePort ?? 0,
      connectionId: randomUUID(),
    };
    const conn: Connection = {
      id: flow.connectionId!,
      socket,
      flow,
      framer: new StreamFramer(),
      partialSince: undefined,
    };
    this.#byId.set(conn.id, conn);
    this.#byRemote.set(flowKey(flow), conn);
    socket.setNoDelay(true);
    socket.setTimeout(this.#opts.idleTimeoutMs, () => socket.destroy());
    socket.on("data", (chunk) => {
      for (const result of conn.framer.push(chunk)) this.#onMessage(result, flow);
      if (conn.framer.broken) {
        // A stream that cannot be framed cannot be resynchronised (RFC 3261 §18.3): close it.
        socket.destroy();
        return;
      }
      conn.partialSince = conn.framer.buffered > 0 ? (conn.partialSince ?? Date.now()) : undefined;
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.#byId.delete(conn.id);
      if (this.#byRemote.get(flowKey(flow)) === conn) this.#byRemote.delete(flowKey(flow));
      const left = (this.#perSource.get(source) ?? 1) - 1;
      if (left > 0) this.#perSource.set(source, left);
      else this.#perSource.delete(source);
      this.#onClosed(flow);
    });
    return conn;
  }

  #sweepSlow(): void {
    const limit = Date.now() - this.#opts.headerTimeoutMs;
    for (const c of this.#byId.values()) {
      if (c.partialSince !== undefined && c.partialSince < limit) c.socket.destroy();
    }
  }
}
