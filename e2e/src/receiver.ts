/** A real HTTP server on 127.0.0.1 that receives callbacks, as a tenant's application would. */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: Record<string, string>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> & { seq: number; callId: string } };
}

export class Receiver {
  readonly received: Received[] = [];
  #server: http.Server;
  #waiters: Array<() => void> = [];
  /** Status to answer with (per request), default 200. */
  status: (r: Received) => number = () => 200;

  constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const r: Received = { headers, body, json: JSON.parse(body) as Received["json"] };
        this.received.push(r);
        res.writeHead(this.status(r)).end();
        for (const w of this.#waiters.splice(0)) w();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `pred` holds over what was received, or rejects after `ms`. */
  async until(pred: (all: Received[]) => boolean, ms = 15_000): Promise<Received[]> {
    const deadline = Date.now() + ms;
    while (!pred(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `receiver: condition not met; got ${this.received.map((r) => r.json.type).join(", ")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
