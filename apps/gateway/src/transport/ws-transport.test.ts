import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ParseMessageResult } from "@hookline/sip-core";
import type { Flow } from "./types.js";
import { WsTransport } from "./ws-transport.js";

const OPTIONS =
  "OPTIONS sip:gw SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n" +
  "From: <sip:a@b>;tag=1\r\nTo: <sip:gw>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-tls-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

describe("SIP over WebSocket (RFC 7118)", () => {
  let transport: WsTransport | undefined;
  afterEach(() => transport?.close());

  async function start(
    opts: {
      tls?: { cert: string; key: string };
      allowedOrigins?: string[];
      maxConnections?: number;
      maxConnectionsPerSource?: number;
    } = {},
  ) {
    const got: Array<{ result: ParseMessageResult; flow: Flow }> = [];
    transport = new WsTransport(
      {
        maxPayload: 64 * 1024,
        allowedOrigins: opts.allowedOrigins ?? [],
        ...(opts.maxConnections !== undefined && { maxConnections: opts.maxConnections }),
        ...(opts.maxConnectionsPerSource !== undefined && {
          maxConnectionsPerSource: opts.maxConnectionsPerSource,
        }),
        pingIntervalMs: 30_000,
        ...(opts.tls && { tls: opts.tls }),
      },
      (result, flow) => got.push({ result, flow }),
      () => {},
    );
    return { got, port: await transport.listen("127.0.0.1", 0) };
  }

  it("serves WSS when a certificate and key are configured", async () => {
    const { got, port } = await start({ tls: selfSigned() });
    const ws = new WebSocket(`wss://127.0.0.1:${port}`, "sip", { rejectUnauthorized: false });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(OPTIONS);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]!.flow.transport).toBe("wss");
    expect(got[0]!.result.ok).toBe(true);
    ws.close();
  });

  it("sends SIP as uncompressed text frames, byte for byte", async () => {
    const { got, port } = await start();
    // A client offering permessage-deflate (RFC 7692), as ws does by default.
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, "sip");
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    expect(ws.extensions).toBe("");
    ws.send(OPTIONS);
    await expect.poll(() => got.length).toBe(1);
    const frame = new Promise<{ text: string; isBinary: boolean }>((resolve) =>
      ws.once("message", (data: Buffer, isBinary: boolean) =>
        resolve({ text: data.toString("utf8"), isBinary }),
      ),
    );
    const reply = OPTIONS.replace("OPTIONS sip:gw SIP/2.0", "SIP/2.0 200 OK ünïcödé");
    await transport!.send(got[0]!.flow, new TextEncoder().encode(reply));
    expect(await frame).toEqual({ text: reply, isBinary: false });
    ws.close();
  });

  it("refuses an Origin outside the allow-list", async () => {
    const { port } = await start({ allowedOrigins: ["https://app.example"] });
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`, "sip", { origin });
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.once("open", () => (ws.close(), resolve(101)));
      });
    expect(await status("https://evil.example")).toBe(403);
    expect(await status("https://app.example")).toBe(101);
  });

  it("refuses upgrades beyond the connection cap with 503", async () => {
    const { port } = await start({ maxConnections: 1 });
    const first = new WebSocket(`ws://127.0.0.1:${port}`, "sip");
    await new Promise((resolve) => first.once("open", resolve));
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, "sip");
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => (ws.close(), resolve(101)));
    });
    expect(status).toBe(503);
    first.close();
  });

  /** Opens an upgrade from `localAddress`: the open socket, or the refusal's HTTP status. */
  function upgrade(port: number, localAddress = "127.0.0.1"): Promise<WebSocket | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, "sip", { localAddress });
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    });
  }

  it("regression: one source took every WebSocket slot and the next source's upgrade got 503", async () => {
    const { port } = await start({ maxConnections: 8, maxConnectionsPerSource: 4 });
    // A burst of simultaneous upgrades from one source: only its share is admitted.
    const flood = await Promise.all(Array.from({ length: 12 }, () => upgrade(port)));
    const open = flood.filter((r): r is WebSocket => typeof r !== "number");
    expect(open).toHaveLength(4);
    expect(flood.filter((r) => r === 429)).toHaveLength(8);
    // Another source still gets in, up to its own share.
    const other = await Promise.all(Array.from({ length: 4 }, () => upgrade(port, "127.0.0.2")));
    expect(other.every((r) => typeof r !== "number")).toBe(true);
    // The global cap still holds over all sources.
    expect(await upgrade(port, "127.0.0.3")).toBe(503);
    // A closed connection frees its source's slot.
    open[0]!.close();
    await expect.poll(() => transport!.connectionCount).toBe(7);
    const again = await upgrade(port);
    expect(typeof again).not.toBe("number");
    for (const ws of [...open, ...other, again]) if (typeof ws !== "number") ws.close();
  });
});
