/** A tenant's application for the e2e tests (SPEC §5): a real node:http server answering each path. */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Asked {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { type: string; data: Record<string, unknown> & { dial?: { status: string } } };
}

/** The tenant's application: each path answers as its handler says. */
export class App {
  readonly asked: Asked[] = [];
  readonly #server: http.Server;
  routes: Record<string, (a: Asked, res: http.ServerResponse) => void> = {};

  constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        const a: Asked = {
          path: req.url ?? "",
          headers: req.headers,
          body,
          json: JSON.parse(body) as Asked["json"],
        };
        this.asked.push(a);
        const route = this.routes[a.path];
        if (route) route(a, res);
        else res.writeHead(404).end();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

export const actions =
  (...list: object[]) =>
  (_a: Asked, res: http.ServerResponse) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ actions: list }));
