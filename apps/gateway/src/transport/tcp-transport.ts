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
  /** How connections are accepted and opened: plain TCP by default, TLS with `tlsSockets`. */
  sockets?: StreamSockets;
}

/** What differs between SIP over TCP and SIP over TLS (RFC 3261 §26.2): how sockets are made. */
export interface StreamSockets {
  readonly transport: "tcp" | "tls";
  /**
   * A listener calling `onConnection` for each connection ready to carry SIP. `admits` says
   * whether the caps leave room for a new connection before any work (a TLS handshake) is spent.
   */
  createServer(
    onConnection: (socket: net.Socket) => void,
    admits: (socket: net.Socket) => boolean,
  ): net.Server;
  /**
   * A connection ready to carry SIP (for TLS: handshake done, peer verified), else a TransportError;
   * from `localAddress` when the listener has a specific one (the address Via and Path name).
   */
  connect(
    host: string,
    port: number,
    serverName: string | undefined,
    localAddress?: string,
  ): Promise<net.Socket>;
}

export const CONNECT_TIMEOUT_MS = 5000;

export const plainSockets: StreamSockets = {
  transport: "tcp",
  // `onConnection` is `#accept`, which applies the caps itself.
  createServer: (onConnection) => net.createServer(onConnection),
  connect: (host, port, _serverName, localAddress) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({
        host,
        port,
        timeout: CONNECT_TIMEOUT_MS,
        ...(localAddress && { localAddress }),
      });
      const onTimeout = () => socket.destroy(new Error(`connect to ${host}:${port} timed out`));
      const onError = (err: Error) => reject(new TransportError("TRANSPORT_NO_CONNECTION", err.message));
      socket.once("timeout", onTimeout);
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError).off("timeout", onTimeout);
        resolve(socket);
      });
    }),
};

interface Connection {
  readonly id: string;
  readonly socket: net.Socket;
  readonly flow: Flow;
  readonly framer: StreamFramer;
  /** The name an opened TLS connection verified its peer against (`Flow.serverName`). */
  readonly serverName: string | undefined;
  partialSince: number | undefined;
}

/**
 * SIP over TCP (RFC 3261 §18), or over TLS with `tlsSockets` (§26.2): messages framed by
 * Content-Length, connections reused both ways.
 */
export class TcpTransport {
  readonly #opts: TcpOptions;
  readonly #sockets: StreamSockets;
  readonly #byId = new Map<string, Connection>();
  readonly #byRemote = new Map<string, Connection>();
  readonly #perSource = new Map<string, number>();
  readonly #onMessage: OnMessage;
  readonly #onClosed: OnClosed;
  #server: net.Server | undefined;
  /** The listener's address when it is a specific one: connections opened come from it too. */
  #localAddress: string | undefined;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: TcpOptions, onMessage: OnMessage, onClosed: OnClosed) {
    this.#opts = opts;
    this.#sockets = opts.sockets ?? plainSockets;
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
    const server = this.#sockets.createServer(
      (socket) => this.#accept(socket),
      (socket) => this.#admits(socket),
    );
    this.#server = server;
    this.#localAddress = host === "0.0.0.0" || host === "::" ? undefined : host;
    const transport = this.#sockets.transport;
    server.on("error", (err) => sipLog.error({ err, transport }, "listener error"));
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
    conn ??= this.#reusable(flow);
    // RFC 3261 §18.2.2: a response goes back on the connection the request came on; if that is
    // gone, requests (and responses, per §18.2.2's fallback) open a new one to the same address.
    conn ??= await this.#connect(flow);
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
    if (this.#admits(socket)) this.#adopt(socket);
    else socket.destroy();
  }

  #admits(socket: net.Socket): boolean {
    const count = this.#perSource.get(socket.remoteAddress ?? "?") ?? 0;
    return (
      count < this.#opts.maxConnectionsPerSource && this.#byId.size < (this.#opts.maxConnections ?? 10_000)
    );
  }

  /**
   * An open connection to the flow's address. A flow that names a TLS server takes only one that
   * verified that name: a connection accepted from the address proved nothing (RFC 5923 §5).
   */
  #reusable(flow: Flow): Connection | undefined {
    const conn = this.#byRemote.get(flowKey(flow));
    if (conn && flow.serverName !== undefined && conn.serverName !== flow.serverName) return undefined;
    return conn;
  }

  async #connect(flow: Flow): Promise<Connection> {
    const socket = await this.#sockets.connect(
      flow.remoteAddress,
      flow.remotePort,
      flow.serverName,
      this.#localAddress,
    );
    return this.#adopt(socket, flow.serverName);
  }

  #adopt(socket: net.Socket, serverName?: string): Connection {
    const source = socket.remoteAddress ?? "?";
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    const flow: Flow = {
      transport: this.#sockets.transport,
      remoteAddress: source.replace(/^::ffff:/, ""),
      remotePort: socket.remotePort ?? 0,
      connectionId: randomUUID(),
    };
    const conn: Connection = {
      id: flow.connectionId!,
      socket,
      flow,
      framer: new StreamFramer(),
      serverName,
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
