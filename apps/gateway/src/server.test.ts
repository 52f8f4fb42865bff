import dgram from "node:dgram";
import { mkdtempSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseMessage, type SipResponse } from "@hookline/sip-core";
import { loadConfig } from "./config.js";
import { startHookline, type Hookline } from "./server.js";

function options(transport: string, port: number, extra = ""): string {
  return (
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/${transport} 127.0.0.1:5999;branch=z9hG4bK-${Math.random().toString(36).slice(2)};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:probe@example.com>;tag=abc\r\nTo: <sip:127.0.0.1>\r\n` +
    `Call-ID: ${Math.random().toString(36).slice(2)}@test\r\nCSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`
  );
}

function response(data: Buffer | string): SipResponse {
  // Lenient: a 400 echoes the request's faulty header (RFC 3261 §8.2.6.2 copies CSeq as is).
  const r = parseMessage(data, { strict: false });
  if (!r.ok || r.message.kind !== "response") throw new Error(`not a SIP response: ${String(data)}`);
  return r.message;
}

function udpRequest(port: number, text: string): Promise<SipResponse> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("message", (m) => {
      s.close();
      resolve(response(m));
    });
    s.once("error", reject);
    s.send(text, port, "127.0.0.1");
  });
}

function tcpRequest(port: number, text: string): Promise<SipResponse> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(text));
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n\r\n")) {
        s.destroy();
        resolve(response(buf));
      }
    });
    s.once("error", reject);
  });
}

describe("one Hookline process (SPEC §2)", () => {
  let h: Hookline;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "hookline-server-"));
    h = await startHookline(
      loadConfig({
        HOOKLINE_DATA_DIR: dataDir,
        HOOKLINE_HTTP_PORT: "0",
        HOOKLINE_SIP_PORT: "0",
        HOOKLINE_SIP_WS_PORT: "0",
        HOOKLINE_MEDIA_WORKERS: "1",
        HOOKLINE_RTP_MIN: "43000",
        HOOKLINE_RTP_MAX: "43999",
      }),
    );
  });
  afterAll(() => h?.close());

  it("serves the console page, the OpenAPI document, /healthz (alive) and /readyz (ready)", async () => {
    const base = `http://127.0.0.1:${h.ports.http}`;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Hookline");
    const doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/v1/domains");
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", calls: 0, sip: { malformed: 0 } });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      failing: [],
      parts: {
        database: { ok: true, state: "ok" },
        media: { ok: true, workers: 1 },
        transports: { ok: true, sip: h.ports.sip, ws: h.ports.ws },
        draining: false,
      },
    });
  });

  it("answers unknown paths over HTTP in the API's JSON error shape, not plain text", async () => {
    const base = `http://127.0.0.1:${h.ports.http}`;
    for (const path of ["/v1/Accounts", "/nothing-here"]) {
      const res = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${h.operatorToken.token}` },
      });
      expect({ path, status: res.status, type: res.headers.get("content-type") }).toEqual({
        path,
        status: 404,
        type: "application/json",
      });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("generates the operator token once, saved with mode 0600", () => {
    expect(h.operatorToken.created).toBe(true);
    expect(statSync(path.join(dataDir, "operator-token")).mode & 0o777).toBe(0o600);
  });

  it("answers OPTIONS over UDP with 200, stamping received and rport", async () => {
    const res = await udpRequest(h.ports.sip, options("UDP", h.ports.sip));
    expect(res.status).toBe(200);
    const via = res.headers.find((x) => x.key === "via")?.value ?? "";
    expect(via).toMatch(/;rport=\d+/);
    expect(via).toContain("received=127.0.0.1");
  });

  it("answers OPTIONS over TCP with 200", async () => {
    expect((await tcpRequest(h.ports.sip, options("TCP", h.ports.sip))).status).toBe(200);
  });

  it("answers OPTIONS over WebSocket with subprotocol sip", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.ports.ws}`, "sip");
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    expect(ws.protocol).toBe("sip");
    const got = new Promise<SipResponse>((resolve) =>
      ws.once("message", (d: Buffer) => resolve(response(d))),
    );
    ws.send(options("WS", h.ports.ws));
    expect((await got).status).toBe(200);
    // RFC 5626 §4.4.1: a double-CRLF ping gets a single CRLF pong.
    const pong = new Promise<string>((resolve) => ws.once("message", (d: Buffer) => resolve(d.toString())));
    ws.send("\r\n\r\n");
    expect(await pong).toBe("\r\n");
    ws.close();
  });

  it("refuses a WebSocket upgrade without the sip subprotocol", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.ports.ws}`, "chat");
    const status = await new Promise<number>((resolve) => {
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => resolve(101));
      ws.once("error", () => resolve(-1));
    });
    expect(status).toBe(400);
  });

  it("answers a malformed request with 400 and keeps serving", async () => {
    const bad = options("UDP", h.ports.sip).replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    const res = await udpRequest(h.ports.sip, bad);
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/CSeq/i);
    expect((await udpRequest(h.ports.sip, options("UDP", h.ports.sip))).status).toBe(200);
  });

  it("survives hostile input on every transport and keeps answering", async () => {
    const udp = dgram.createSocket("udp4");
    const seeds = [
      "INVITE sip:x SIP/2.0\r\n\r\n",
      "\0\0\0\r\n\r\n",
      "SIP/2.0 200\r\nVia: ,,,,,\r\n\r\n",
      options("UDP", h.ports.sip).replace("Content-Length: 0", "Content-Length: 99999"),
      "REGISTER sip:a SIP/2.0\r\n" + "X: " + "a,".repeat(20000) + "\r\n\r\n",
    ];
    for (let i = 0; i < 200; i++) {
      const seed = seeds[i % seeds.length]!;
      const bytes = Buffer.from(seed);
      // Flip a few bytes so each datagram is malformed in its own way.
      for (let k = 0; k < 3; k++) bytes[(i * 7919 + k * 104729) % bytes.length] = (i * 31 + k) & 0xff;
      udp.send(bytes, h.ports.sip, "127.0.0.1");
    }
    udp.close();
    const tcp = net.connect(h.ports.sip, "127.0.0.1");
    await new Promise((resolve) => tcp.once("connect", resolve));
    tcp.write("garbage without any framing\r\n\r\nINVITE sip:x SIP/2.0\r\nContent-Length: -5\r\n\r\n");
    await new Promise((resolve) => tcp.once("close", resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${h.ports.ws}`, "sip");
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    ws.send("BYE\r\n\r\n");
    ws.close();
    expect((await udpRequest(h.ports.sip, options("UDP", h.ports.sip))).status).toBe(200);
    expect((await tcpRequest(h.ports.sip, options("TCP", h.ports.sip))).status).toBe(200);
    expect(h.gateway!.stack.stats.malformed).toBeGreaterThan(0);
  });

  it("closes a WebSocket sending a frame over 64 KiB with 1009", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.ports.ws}`, "sip");
    await new Promise((resolve) => ws.once("open", resolve));
    const code = new Promise<number>((resolve) => ws.once("close", (c: number) => resolve(c)));
    ws.send("x".repeat(70 * 1024));
    expect(await code).toBe(1009);
  });
});
