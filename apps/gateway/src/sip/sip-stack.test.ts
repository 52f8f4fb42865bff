import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseMessage, type SipResponse } from "@hookline/sip-core";
import type { CallDirectory } from "../b2bua/b2bua.js";
import type { CallRecorder } from "../b2bua/call-recorder.js";
import { Gateway } from "../gateway.js";

/** An OPTIONS to the gateway itself (answered 200 by the gateway when complete), minus `drop`. */
function options(transport: string, drop: string[] = []): string {
  const lines = [
    "OPTIONS sip:gw@127.0.0.1 SIP/2.0",
    `Via: SIP/2.0/${transport} 127.0.0.1:5999;branch=z9hG4bK-${Math.random().toString(36).slice(2)};rport`,
    "Max-Forwards: 70",
    "From: <sip:probe@example.com>;tag=abc",
    "To: <sip:gw@127.0.0.1>",
    `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
  ].filter((line) => !drop.some((name) => line.startsWith(`${name}:`)));
  return `${lines.join("\r\n")}\r\n\r\n`;
}

function response(data: Buffer | string): SipResponse {
  const r = parseMessage(data, { strict: false });
  if (!r.ok || r.message.kind !== "response") throw new Error(`not a SIP response: ${String(data)}`);
  return r.message;
}

type Send = (text: string) => Promise<SipResponse>;

describe("mandatory request headers through the real gateway (RFC 3261 §8.1.1)", () => {
  let gateway: Gateway;
  let udp: Send;
  let tcp: Send;
  let ws: Send;

  beforeAll(async () => {
    gateway = new Gateway({
      listenIp: "127.0.0.1",
      publicIp: "127.0.0.1",
      sipPort: 0,
      wsPort: 0,
      // OPTIONS outside a dialog is the gateway's own business: no tenant, call or binding needed.
      directory: {} as CallDirectory,
      recorder: {} as CallRecorder,
      registrar: { handle: () => Promise.reject(new Error("not used")), connectionClosed: () => {} },
    });
    await gateway.start();
    const { sip, ws: wsPort } = gateway.ports;
    udp = (text) =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket("udp4");
        s.once("message", (m) => (s.close(), resolve(response(m))));
        s.once("error", reject);
        s.send(text, sip, "127.0.0.1");
      });
    tcp = (text) =>
      new Promise((resolve, reject) => {
        const s = net.connect(sip, "127.0.0.1", () => s.write(text));
        let buf = "";
        s.on("data", (d) => {
          buf += d.toString();
          if (!buf.includes("\r\n\r\n")) return;
          s.destroy();
          resolve(response(buf));
        });
        s.once("error", reject);
      });
    ws = (text) =>
      new Promise((resolve, reject) => {
        const s = new WebSocket(`ws://127.0.0.1:${wsPort}`, "sip");
        s.once("open", () => s.send(text));
        s.once("message", (d: Buffer) => (s.close(), resolve(response(d))));
        s.once("error", reject);
      });
  });
  afterAll(() => gateway?.stop());

  const transports = () =>
    [
      ["UDP", udp],
      ["TCP", tcp],
      ["WS", ws],
    ] as const;

  it("a complete request is served (200) on every transport", async () => {
    for (const [name, send] of transports()) expect((await send(options(name))).status).toBe(200);
  });

  it("regression: a request without Call-ID got 200 OK; now 400 naming it, on UDP, TCP and WebSocket", async () => {
    for (const [name, send] of transports()) {
      const res = await send(options(name, ["Call-ID"]));
      expect(res.status).toBe(400);
      expect(res.reason).toContain("Call-ID");
    }
  });

  it("regression: a request without From or To got 200 OK on TCP and WebSocket; now 400 naming it", async () => {
    for (const header of ["From", "To", "CSeq"]) {
      for (const [name, send] of transports()) {
        const res = await send(options(name, [header]));
        expect(res.status).toBe(400);
        expect(res.reason).toContain(`missing ${header} header`);
      }
    }
  });

  it("a request without Via gets 400 on the connection it came on (TCP, WebSocket)", async () => {
    for (const [name, send] of transports().slice(1)) {
      const res = await send(options(name, ["Via"]));
      expect(res.status).toBe(400);
      expect(res.reason).toContain("missing Via header");
    }
  });

  it("a request without Max-Forwards is served: a proxy may add it (RFC 3261 §16.6 step 3)", async () => {
    for (const [name, send] of transports()) {
      expect((await send(options(name, ["Max-Forwards"]))).status).toBe(200);
    }
  });
});
