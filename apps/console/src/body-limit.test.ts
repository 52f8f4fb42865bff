import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { ServerType } from "@hono/node-server";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";
import { MAX_BODY_BYTES } from "./body-limit.js";
import { harness } from "./test-helpers.js";
import type { Harness } from "./test-helpers.js";

describe.each(DIALECTS)("on %s", (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(dialect);
  });
  afterEach(() => h.close());

  const CHUNK = 64 * 1024;

  /** A body of `total` bytes produced on demand, counting how many bytes the server pulled. */
  function countingStream(total: number) {
    const state = { pulled: 0 };
    const chunk = new Uint8Array(CHUNK).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled >= total) return controller.close();
        state.pulled += CHUNK;
        controller.enqueue(chunk);
      },
    });
    return { stream, state };
  }

  describe("request body limit (1 MiB)", () => {
    it("refuses an oversized body announced by Content-Length with 413 in the API's error shape", async () => {
      const { apiKey } = await h.newAccount();
      const big = JSON.stringify({ name: "acme.sip.example", pad: "x".repeat(MAX_BODY_BYTES) });
      const r = await h.call("POST", "/v1/domains", apiKey, big);
      expect(r.status).toBe(413);
      expect(r.body).toEqual({
        error: { code: "payload_too_large", message: `request body is larger than ${MAX_BODY_BYTES} bytes` },
      });
    });

    it("stops reading a chunked body without Content-Length at the limit", async () => {
      const { apiKey } = await h.newAccount();
      const { stream, state } = countingStream(100 * MAX_BODY_BYTES);
      const res = await h.app.request("/v1/domains", {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: stream,
        duplex: "half",
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
      // The stream may run a couple of chunks ahead of the reader; never the 100 MiB offered.
      expect(state.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 4 * CHUNK);
    });

    it("reads a body of exactly the limit", async () => {
      const { apiKey } = await h.newAccount();
      const json = JSON.stringify({ name: "acme.sip.example" });
      const r = await h.call("POST", "/v1/domains", apiKey, json + " ".repeat(MAX_BODY_BYTES - json.length));
      expect(r.status).toBe(201);
    });

    it("does not read an anonymous body at all: 401 comes first", async () => {
      const { stream, state } = countingStream(100 * MAX_BODY_BYTES);
      const res = await h.app.request("/v1/domains", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: stream,
        duplex: "half",
      });
      expect(res.status).toBe(401);
      expect(state.pulled).toBeLessThanOrEqual(4 * CHUNK);
    });

    it("holds over a real HTTP connection with a chunked upload", async () => {
      const { apiKey } = await h.newAccount();
      const server: ServerType = await new Promise((resolve) => {
        const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
      });
      try {
        const { port } = server.address() as AddressInfo;
        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request(
            {
              host: "127.0.0.1",
              port,
              method: "POST",
              path: "/v1/domains",
              headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
            },
            (res) => {
              let body = "";
              res.setEncoding("utf8");
              res.on("data", (d: string) => (body += d));
              res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on("error", reject);
          // No Content-Length: Node sends Transfer-Encoding: chunked. 4 MiB in 64 KiB chunks.
          const chunk = Buffer.alloc(CHUNK, 0x20);
          let left = 64;
          const pump = () => {
            while (left > 0) {
              left--;
              if (!req.write(chunk)) return void req.once("drain", pump);
            }
            req.end();
          };
          pump();
        });
        expect(answer.status).toBe(413);
        expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large" } });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});

afterAll(stopPostgres, 60_000);
