import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { parseMessage } from "@hookline/sip-core";
import type { Flow, OnMessage } from "./types.js";
import { log } from "@hookline/log";

const sipLog = log.child({ component: "sip" });

/** SIP over UDP (RFC 3261 §18): one message per datagram. */
export class UdpTransport {
  #socket: dgram.Socket | undefined;
  readonly #onMessage: OnMessage;

  constructor(onMessage: OnMessage) {
    this.#onMessage = onMessage;
  }

  async listen(host: string, port: number): Promise<number> {
    const socket = dgram.createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    this.#socket = socket;
    socket.on("message", (data, rinfo) => {
      // A lone CRLF keep-alive datagram is not a message (RFC 5626 §3.5.1).
      if (data.length <= 4 && data.every((b) => b === 13 || b === 10)) return;
      const flow: Flow = { transport: "udp", remoteAddress: rinfo.address, remotePort: rinfo.port };
      this.#onMessage(parseMessage(data), flow);
    });
    // A datagram socket error (e.g. ICMP unreachable surfacing) must not end the process.
    socket.on("error", (err) => sipLog.error({ err, transport: "udp" }, "socket error"));
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
