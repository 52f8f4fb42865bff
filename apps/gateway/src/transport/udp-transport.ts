import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import type { Flow } from "./types.js";

/** SIP over UDP (RFC 3261 §18): one message per datagram. */
export class UdpTransport {
  #socket: dgram.Socket | undefined;
  readonly #onMessage: (data: Uint8Array, flow: Flow) => void;

  constructor(onMessage: (data: Uint8Array, flow: Flow) => void) {
    this.#onMessage = onMessage;
  }

  async listen(host: string, port: number): Promise<number> {
    const socket = dgram.createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    this.#socket = socket;
    socket.on("message", (data, rinfo) => {
      this.#onMessage(data, { transport: "udp", remoteAddress: rinfo.address, remotePort: rinfo.port });
    });
    // A datagram socket error (e.g. ICMP unreachable surfacing) must not end the process.
    socket.on("error", (err) => console.error("[sip/udp]", err.message));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return socket.address().port;
  }

  send(flow: Flow, data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new Error("UDP transport not listening"));
    return new Promise((resolve, reject) =>
      socket.send(data, flow.remotePort, flow.remoteAddress, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }
}
