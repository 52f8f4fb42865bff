import net from "node:net";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ParseMessageResult } from "@hookline/sip-core";
import { TcpTransport, type TcpOptions } from "./tcp-transport.js";
import { tlsSockets, type TlsSocketOptions } from "./tls-sockets.js";
import { createTestCa, type TestCa } from "./tls-test-support.js";
import { TransportError, type Flow } from "./types.js";

const options = (cseq: number) =>
  `OPTIONS sip:carrier.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK${cseq}\r\n` +
  `Max-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:carrier.test>\r\nCall-ID: c1\r\n` +
  `CSeq: ${cseq} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
const OK =
  "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n" +
  "To: <sip:carrier.test>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
const LIMITS: TcpOptions = { idleTimeoutMs: 60_000, headerTimeoutMs: 60_000, maxConnectionsPerSource: 8 };
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A carrier's TLS server on 127.0.0.1: records what arrives and answers each chunk with `reply`. */
class TlsPeer {
  readonly received: string[] = [];
  readonly sockets: tls.TLSSocket[] = [];
  reply: string | undefined = OK;
  readonly #server: tls.Server;

  constructor(cert: { cert: string; key: string }) {
    this.#server = tls.createServer(cert, (socket) => {
      this.sockets.push(socket);
      socket.on("data", (d) => {
        this.received.push(d.toString());
        if (this.reply) socket.write(this.reply);
      });
      socket.on("error", () => {});
    });
    this.#server.on("tlsClientError", () => {});
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.#server.listen(0, "127.0.0.1", () => resolve((this.#server.address() as net.AddressInfo).port)),
    );
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe("SIP over TLS (RFC 3261 §26.2, RFC 5922 §7.3)", () => {
  let ca: TestCa;
  let serverCert: { cert: string; key: string };
  let peer: TlsPeer;
  let peerPort: number;
  let transport: TcpTransport | undefined;

  beforeAll(async () => {
    ca = createTestCa();
    serverCert = ca.issue(["carrier.test", "127.0.0.1"]);
    peer = new TlsPeer(serverCert);
    peerPort = await peer.listen();
  });
  afterAll(async () => {
    await peer?.close();
    ca?.remove();
  });
  afterEach(() => transport?.close());

  function start(sockets: Partial<TlsSocketOptions> = {}) {
    const got: Array<{ result: ParseMessageResult; flow: Flow }> = [];
    transport = new TcpTransport(
      { ...LIMITS, sockets: tlsSockets({ handshakeTimeoutMs: 5000, ...sockets }) },
      (result, flow) => got.push({ result, flow }),
      () => {},
    );
    return got;
  }
  const toPeer = (serverName?: string): Flow => ({
    transport: "tls",
    remoteAddress: "127.0.0.1",
    remotePort: peerPort,
    ...(serverName && { serverName }),
  });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err,
    );

  it("opens a verified connection by host name (SNI), frames messages both ways and reuses it", async () => {
    const got = start({ extraCa: ca.ca });
    const before = peer.sockets.length;
    await transport!.send(toPeer("carrier.test"), utf8(options(1)));
    await expect.poll(() => got.length).toBe(1);
    const answer = got[0]!;
    expect(
      answer.result.ok && answer.result.message.kind === "response" && answer.result.message.status,
    ).toBe(200);
    expect(answer.flow).toMatchObject({ transport: "tls", remoteAddress: "127.0.0.1", remotePort: peerPort });
    expect(peer.sockets[before]!.servername).toBe("carrier.test");
    // A second request to the same target and a message on the connection's own flow: one connection.
    await transport!.send(toPeer("carrier.test"), utf8(options(2)));
    await transport!.send(answer.flow, utf8(options(3)));
    await expect.poll(() => peer.received.join("").match(/^CSeq: \d OPTIONS/gm)?.length).toBe(3);
    expect(peer.sockets.length - before).toBe(1);
    expect(transport!.connectionCount).toBe(1);
  });

  it("verifies an address target against the certificate's IP addresses", async () => {
    const got = start({ extraCa: ca.ca });
    await transport!.send(toPeer(), utf8(options(1)));
    await expect.poll(() => got.length).toBe(1);
  });

  it("refuses a server whose certificate does not name the target, with a TransportError naming verification", async () => {
    start({ extraCa: ca.ca });
    const err = await refusal(transport!.send(toPeer("other.example"), utf8(options(1))));
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: "TRANSPORT_TLS_FAILED" });
    expect((err as Error).message).toMatch(
      /^certificate verification of other\.example \(127\.0\.0\.1:\d+\) failed: ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    expect(transport!.connectionCount).toBe(0);
  });

  it("refuses a server signed by a CA it was not given (Node's default roots only)", async () => {
    start();
    const err = await refusal(transport!.send(toPeer("carrier.test"), utf8(options(1))));
    expect(err).toMatchObject({ code: "TRANSPORT_TLS_FAILED" });
    expect((err as Error).message).toMatch(
      /^certificate verification of carrier\.test .* failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
  });

  it("a closed port is no connection, not a TLS failure", async () => {
    start({ extraCa: ca.ca });
    const closed = net.createServer();
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, "127.0.0.1", () => resolve((closed.address() as net.AddressInfo).port)),
    );
    await new Promise((resolve) => closed.close(resolve));
    const err = await refusal(
      transport!.send({ ...toPeer("carrier.test"), remotePort: port }, utf8(options(1))),
    );
    expect(err).toMatchObject({ code: "TRANSPORT_NO_CONNECTION" });
  });

  it("listens with the gateway's certificate: a client's request arrives, the answer goes back on its connection", async () => {
    const got = start({ server: serverCert });
    const port = await transport!.listen("127.0.0.1", 0);
    const client = tls.connect({ host: "127.0.0.1", port, servername: "carrier.test", ca: ca.ca });
    const answers: string[] = [];
    client.on("data", (d) => answers.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      client.once("secureConnect", resolve);
      client.once("error", reject);
    });
    client.write(options(1));
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]!.flow).toMatchObject({ transport: "tls", remoteAddress: "127.0.0.1" });
    expect(got[0]!.flow.connectionId).toBeDefined();
    await transport!.send(got[0]!.flow, utf8(OK));
    await expect.poll(() => answers.join("")).toBe(OK);
    client.destroy();
  });

  it("spends no handshake on a connection beyond the per-source cap", async () => {
    transport = new TcpTransport(
      {
        ...LIMITS,
        maxConnectionsPerSource: 1,
        sockets: tlsSockets({ server: serverCert, handshakeTimeoutMs: 60_000 }),
      },
      () => {},
      () => {},
    );
    const port = await transport.listen("127.0.0.1", 0);
    const first = tls.connect({ host: "127.0.0.1", port, servername: "carrier.test", ca: ca.ca });
    first.on("error", () => {});
    await new Promise<void>((resolve) => first.once("secureConnect", resolve));
    await expect.poll(() => transport!.connectionCount).toBe(1);
    // A bare TCP connection that says nothing: only the cap can close it (the handshake has a minute).
    const second = net.connect(port, "127.0.0.1");
    second.on("error", () => {});
    await new Promise<void>((resolve) => second.once("close", () => resolve()));
    expect(transport.connectionCount).toBe(1);
    first.destroy();
  });

  it("drops an inbound connection that never completes its handshake", async () => {
    start({ server: serverCert, handshakeTimeoutMs: 200 });
    const port = await transport!.listen("127.0.0.1", 0);
    const raw = net.connect(port, "127.0.0.1");
    raw.on("error", () => {});
    await new Promise<void>((resolve) => raw.once("close", () => resolve()));
    expect(transport!.connectionCount).toBe(0);
  });
});
