/** A tenant's application for the e2e tests (SPEC §5): a real node:http server answering each path. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Stack } from "./harness.js";

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

/** A call's detail as GET /v1/calls/{id} returns it, with its application-hook requests (SPEC §5). */
export interface EndedCall {
  state: string;
  reason: string | null;
  endStatus: number | null;
  durationSec: number | null;
  hooks: Array<{ kind: string; error: string | null; status: number | null; eventType: string }>;
  timeline: Array<{ type: string; method?: string | null; status?: number | null; direction?: string }>;
}

/** The account's newest call, once it has ended. */
export async function lastEndedCall(stack: Stack, apiKey: string): Promise<EndedCall> {
  for (let i = 0; i < 100; i++) {
    const list = await stack.api<{ data: Array<{ id: string; state: string }> }>(
      "GET",
      "/v1/calls?limit=1",
      undefined,
      apiKey,
    );
    const call = list.body.data[0];
    if (call && (call.state === "completed" || call.state === "failed"))
      return (await stack.api<EndedCall>("GET", `/v1/calls/${call.id}`, undefined, apiKey)).body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no ended call");
}
