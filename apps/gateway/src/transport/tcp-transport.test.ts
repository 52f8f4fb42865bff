import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ParseMessageResult } from "@hookline/sip-core";
import { TcpTransport } from "./tcp-transport.js";
import type { Flow } from "./types.js";

const OPTIONS =
  "OPTIONS sip:gw SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n" +
  "From: <sip:a@b>;tag=1\r\nTo: <sip:gw>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

const closed = (s: net.Socket) =>
  new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));

describe("SIP over TCP (RFC 3261 §18.3)", () => {
  let transport: TcpTransport | undefined;
  afterEach(() => transport?.close());

  function start(opts: Partial<ConstructorParameters<typeof TcpTransport>[0]> = {}) {
    const got: Array<{ result: ParseMessageResult; flow: Flow }> = [];
    const gone: Flow[] = [];
    transport = new TcpTransport(
      { idleTimeoutMs: 60_000, headerTimeoutMs: 60_000, maxConnectionsPerSource: 8, ...opts },
      (result, flow) => got.push({ result, flow }),
      (flow) => gone.push(flow),
    );
    return { got, gone, port: transport.listen("127.0.0.1", 0) };
  }

  it("frames messages split across chunks and skips CRLF keep-alives between them", async () => {
    const { got, port } = start();
    const s = await connect(await port);
    s.write("\r\n\r\n" + OPTIONS.slice(0, 40));
    await new Promise((r) => setTimeout(r, 20));
    s.write(OPTIONS.slice(40) + "\r\n" + OPTIONS);
    await expect.poll(() => got.length).toBe(2);
    expect(got.every((g) => g.result.ok)).toBe(true);
    expect(got[0]!.flow.connectionId).toBe(got[1]!.flow.connectionId);
    s.destroy();
  });

  it("closes a stream that cannot be framed (no Content-Length)", async () => {
    const { port, gone } = start();
    const s = await connect(await port);
    s.write(OPTIONS.replace("Content-Length: 0\r\n", ""));
    await closed(s);
    await expect.poll(() => gone.length).toBe(1);
  });

  it("closes a connection whose message does not complete in time (slow-loris)", async () => {
    const { port } = start({ headerTimeoutMs: 300 });
    const s = await connect(await port);
    s.write("OPTIONS sip:gw SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1");
    const keepDripping = setInterval(() => s.writable && s.write("1"), 50);
    await closed(s);
    clearInterval(keepDripping);
  });

  it("caps concurrent connections from one source", async () => {
    const { port } = start({ maxConnectionsPerSource: 2 });
    const p = await port;
    const a = await connect(p);
    const b = await connect(p);
    await expect.poll(() => transport!.connectionCount).toBe(2);
    const c = await connect(p);
    await closed(c);
    expect(transport!.connectionCount).toBe(2);
    a.destroy();
    await expect.poll(() => transport!.connectionCount).toBe(1);
    const d = await connect(p);
    await expect.poll(() => transport!.connectionCount).toBe(2);
    b.destroy();
    d.destroy();
  });

  it("closes idle connections", async () => {
    const { port } = start({ idleTimeoutMs: 200 });
    const s = await connect(await port);
    await closed(s);
  });
});
