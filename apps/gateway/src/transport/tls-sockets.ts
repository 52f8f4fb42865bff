/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630): the sockets `TcpTransport` frames SIP on. A
 * connection we open asks for the target's host name (SNI, RFC 6066 §3) and verifies the peer's
 * certificate against it (RFC 5922 §7.3) with the system's CAs plus the operator's extra bundle;
 * one that fails is a TransportError, so a dial fails over as for a dead target. A listener needs
 * the gateway's certificate and key; it asks no client certificate (no mutual TLS yet).
 */
import net from "node:net";
import tls from "node:tls";
import { log } from "@hookline/log";
import { CONNECT_TIMEOUT_MS, type StreamSockets } from "./tcp-transport.js";
import { TransportError } from "./types.js";

const sipLog = log.child({ component: "sip", transport: "tls" });

export interface TlsSocketOptions {
  /** PEM certificate chain and key the listener presents; without them `createServer` throws. */
  server?: { cert: string; key: string } | undefined;
  /** Extra trusted CAs (PEM) beside Node's default roots, for carriers on a private CA. */
  extraCa?: string | undefined;
  /** A handshake that has not finished within this is dropped (slow-loris guard for listeners). */
  handshakeTimeoutMs: number;
}

/** Verification failures as OpenSSL and Node name them, to tell them from other handshake errors. */
const VERIFY_CODE = /CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME|CHAIN|VERIFY/;

export function tlsSockets(opts: TlsSocketOptions): StreamSockets {
  // Passing `ca` replaces Node's roots: keep them and add the operator's bundle, parsed once here
  // rather than on every outbound connection.
  const secureContext = opts.extraCa
    ? tls.createSecureContext({ ca: [...tls.rootCertificates, opts.extraCa] })
    : undefined;
  return {
    transport: "tls",
    createServer(onConnection, admits) {
      if (!opts.server) throw new Error("a TLS listener needs a certificate and key (HOOKLINE_TLS_CERT/KEY)");
      const server = tls.createServer(
        { ...opts.server, handshakeTimeout: opts.handshakeTimeoutMs },
        onConnection,
      );
      // A source at its cap gets no handshake; the rest are checked again once it is done.
      server.on("connection", (raw: net.Socket) => {
        if (!admits(raw)) raw.destroy();
      });
      // With a listener here Node leaves the socket open (a handshake timeout included): close it.
      server.on("tlsClientError", (err, socket) => {
        sipLog.debug({ err: err.message, remote: socket.remoteAddress }, "inbound TLS handshake failed");
        socket.destroy();
      });
      return server;
    },
    connect: (host, port, serverName, localAddress) =>
      new Promise((resolve, reject) => {
        // SNI carries host names only (RFC 6066 §3); for an address the certificate must name it.
        const name = serverName && !net.isIP(serverName) ? serverName : undefined;
        const socket = tls.connect({
          host,
          port,
          ...(name && { servername: name }),
          ...(secureContext && { secureContext }),
          ...(localAddress && { localAddress }),
          timeout: CONNECT_TIMEOUT_MS,
        });
        let tcpConnected = false;
        socket.once("connect", () => (tcpConnected = true));
        const onTimeout = () => socket.destroy(new Error(`connect to ${host}:${port} timed out`));
        const onError = (err: NodeJS.ErrnoException) => {
          if (!tcpConnected) {
            reject(new TransportError("TRANSPORT_NO_CONNECTION", err.message));
            return;
          }
          const peer = `${serverName ?? host} (${host}:${port})`;
          const verification = err.code !== undefined && VERIFY_CODE.test(err.code);
          const reason = verification
            ? `certificate verification of ${peer} failed: ${err.code}: ${err.message}`
            : `TLS handshake with ${peer} failed: ${err.message}`;
          sipLog.warn({ host, port, serverName, code: err.code }, reason);
          reject(new TransportError("TRANSPORT_TLS_FAILED", reason));
        };
        socket.once("timeout", onTimeout);
        socket.once("error", onError);
        socket.once("secureConnect", () => {
          socket.off("error", onError).off("timeout", onTimeout);
          resolve(socket);
        });
      }),
  };
}
