import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import { parseAllowlist } from "../ssrf.js";
import { HttpClient } from "./client.js";

function allow(spec: string) {
  const r = parseAllowlist(spec);
  if (!r.ok) throw new Error(r.error);
  return r.allowlist;
}

let server: Server;
let port: number;
let hits: number;
let client: HttpClient | undefined;

beforeEach(async () => {
  hits = 0;
  server = createServer((_req, res) => {
    hits++;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Resolves every name to the test server's loopback address and records what it was asked. */
const loopbackResolver = (asked: string[]) => (hostname: string) => {
  asked.push(hostname);
  return Promise.resolve(["127.0.0.1"]);
};

describe("guarded connector: trailing-dot host names (SPEC §6)", () => {
  it("refuses localhost. at connect time when nothing allows it", async () => {
    const asked: string[] = [];
    client = new HttpClient({
      allowlist: allow(""),
      logger: silentLogger,
      resolver: loopbackResolver(asked),
    });
    const r = await client.post(new URL(`http://localhost.:${port}/hook`), "{}", {});
    expect(r).toMatchObject({ status: null, errorCode: "HOOKLINE_SSRF_BLOCKED" });
    expect(asked).toEqual(["localhost"]);
    expect(hits).toBe(0);
  });

  it("treats localhost. as the allow-listed localhost, resolving the name without the dot", async () => {
    const asked: string[] = [];
    client = new HttpClient({
      allowlist: allow(`localhost:${port}`),
      logger: silentLogger,
      resolver: loopbackResolver(asked),
    });
    const r = await client.post(new URL(`http://localhost.:${port}/hook`), "{}", {});
    expect(r).toMatchObject({ status: 200, error: null });
    expect(asked).toEqual(["localhost"]);
    expect(hits).toBe(1);
  });
});
