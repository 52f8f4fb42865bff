/**
 * A minimal carrier on SIP over TLS (RFC 3261 §26.2): a node:tls server that frames what arrives
 * with sip-core's StreamFramer and answers on the same connection: OPTIONS and BYE get 200, an
 * INVITE 100 then 200 with an SDP offer of PCMU; ACK is recorded. Everything received is kept.
 */
import type net from "node:net";
import tls from "node:tls";
import {
  createResponse,
  generateTag,
  serializeMessage,
  StreamFramer,
  type SipRequest,
} from "@hookline/sip-core";

const SDP =
  `v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
  `m=audio 40998 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;

export class TlsCarrier {
  readonly requests: SipRequest[] = [];
  /** The SNI names clients asked for, one per connection. */
  readonly serverNames: Array<string | false | null> = [];
  readonly #server: tls.Server;
  readonly #sockets = new Set<tls.TLSSocket>();
  #host = "127.0.0.1";
  #port = 0;

  constructor(cert: { cert: string; key: string }) {
    this.#server = tls.createServer(cert, (socket) => this.#accept(socket));
    this.#server.on("tlsClientError", () => {});
  }

  get port(): number {
    return this.#port;
  }

  async listen(host: string): Promise<number> {
    this.#host = host;
    await new Promise<void>((resolve) => this.#server.listen(0, host, resolve));
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this.#port;
  }

  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: tls.TLSSocket): void {
    this.#sockets.add(socket);
    this.serverNames.push(socket.servername);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => {});
    const framer = new StreamFramer();
    socket.on("data", (chunk: Buffer) => {
      for (const r of framer.push(chunk)) {
        if (!r.ok || r.message.kind !== "request") continue;
        this.#answer(socket, r.message);
      }
    });
  }

  #answer(socket: tls.TLSSocket, req: SipRequest): void {
    this.requests.push(req);
    const send = (status: number, reason: string, extra: Parameters<typeof createResponse>[3] = {}) =>
      socket.write(serializeMessage(createResponse(req, status, reason, { toTag: generateTag(), ...extra })));
    const host = this.#host.includes(":") ? `[${this.#host}]` : this.#host;
    switch (req.method) {
      case "ACK":
        return;
      case "INVITE":
        send(100, "Trying");
        send(200, "OK", {
          headers: [["Contact", `<sip:carrier@${host}:${this.#port};transport=tls>`]],
          body: SDP,
          contentType: "application/sdp",
        });
        return;
      default:
        send(200, "OK");
    }
  }
}
