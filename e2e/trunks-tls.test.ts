/**
 * Calls out through a trunk over SIP over TLS (SPEC §3 trunks; RFC 3261 §26.2, RFC 5922 §7.3): a
 * Node TLS server plays the carrier with a certificate from a throwaway CA, which the gateway
 * trusts through HOOKLINE_TLS_CA. The target is a host name, so the gateway asks for it by SNI and
 * verifies it. The OPTIONS monitor finds the target up over TLS; `POST /v1/calls` rings a number
 * through the trunk, the carrier answers and the call's action hangs up. A carrier whose
 * certificate names another host is refused, and its target goes down saying why. With a
 * certificate of its own the gateway also listens for SIP over TLS (HOOKLINE_SIP_TLS_PORT).
 */
import { lookup } from "node:dns/promises";
import tls from "node:tls";
import { StreamFramer, type SipResponse } from "@hookline/sip-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./src/index.js";
import { createTestCa, type TestCa } from "@hookline/gateway/testing/tls";
import { TlsCarrier } from "./src/tls-carrier.js";

const DOMAIN = "trunks-tls.test";
// The name the trunk's targets use: it must resolve here, and the carrier listens where it does.
const CARRIER_HOST = "localhost";

interface CallDetail {
  state: string;
  reason: string | null;
  answeredAt: string | null;
  legs: Array<{ remoteUri: string; transport: string; state: string; answeredAt: string | null }>;
}
type Health = { targets: Array<{ host: string; state: string; lastError: string | null }> };

async function until<T>(read: () => Promise<T>, pred: (v: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 200; i++) {
    last = await read();
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: never (last: ${JSON.stringify(last)})`);
}

describe("trunks over TLS: a carrier on SIP over TLS (SPEC §3, RFC 3261 §26.2)", () => {
  let ca: TestCa;
  let stack: Stack;
  let apiKey: string;
  let carrier: TlsCarrier;
  let impostor: TlsCarrier;

  const trunk = async (name: string, port: number) => {
    const r = await stack.api<{ id: string }>(
      "POST",
      "/v1/trunks",
      { name, outbound: { targets: [{ host: CARRIER_HOST, port, transport: "tls" }] } },
      apiKey,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id;
  };
  const health = (id: string) => async () =>
    (await stack.api<{ health: Health }>("GET", `/v1/trunks/${id}`, undefined, apiKey)).body.health;

  beforeAll(async () => {
    ca = createTestCa();
    const { address } = await lookup(CARRIER_HOST);
    carrier = new TlsCarrier(ca.issue([CARRIER_HOST]));
    await carrier.listen(address);
    impostor = new TlsCarrier(ca.issue(["other.example"]));
    await impostor.listen(address);
    stack = await startStack(
      { HOOKLINE_TLS_CA: ca.caFile },
      {
        ringTimeoutMs: 5000,
        // Short for the test; a false timeout needs two in a row.
        trunkHealth: {
          intervalMs: 300,
          timeoutMs: 1000,
          failuresBeforeDown: 2,
          successesBeforeUp: 1,
          syncMs: 100,
        },
      },
    );
    ({ apiKey } = await stack.tenant(DOMAIN, []));
  });
  afterAll(async () => {
    await stack?.close();
    await carrier?.close();
    await impostor?.close();
    ca?.remove();
  });

  it("the target goes up over TLS, and a call through it is answered with Via SIP/2.0/TLS", async () => {
    const id = await trunk("carrier-tls", carrier.port);
    await until(health(id), (h) => h.targets[0]?.state === "up", "the TLS target up");
    expect(carrier.methods()).toContain("OPTIONS");

    const started = await stack.api<{ id: string }>(
      "POST",
      "/v1/calls",
      { to: { number: "+15557770009", trunk: "carrier-tls" }, actions: [{ action: "hangup" }] },
      apiKey,
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const call = await until(
      async () =>
        (await stack.api<CallDetail>("GET", `/v1/calls/${started.body.id}`, undefined, apiKey)).body,
      (c) => c.state === "completed" || c.state === "failed",
      "the call ended",
    );
    // Answered by the carrier, then ended by the call's own action.
    expect(call, JSON.stringify(call)).toMatchObject({ reason: "application-hangup" });
    expect(call.answeredAt).not.toBeNull();
    expect(call.legs[0]).toMatchObject({ transport: "tls", state: "terminated" });
    expect(call.legs[0]!.answeredAt).not.toBeNull();
    expect(call.legs[0]!.remoteUri).toBe(`sip:+15557770009@${CARRIER_HOST}:${carrier.port};transport=tls`);

    await until(
      () => Promise.resolve(carrier.methods()),
      (m) => m.includes("BYE"),
      "the carrier got the BYE",
    );
    const invite = carrier.requests.find((r) => r.method === "INVITE")!;
    expect(invite.uri).toBe(`sip:+15557770009@${CARRIER_HOST}:${carrier.port};transport=tls`);
    const header = (name: string) => invite.headers.find((h) => h.key === name)?.value ?? "";
    expect(header("via")).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=z9hG4bK/);
    expect(header("contact")).toMatch(/^<sip:[^>]+;transport=tls>/);
    expect(carrier.methods().filter((m) => m !== "OPTIONS")).toEqual(["INVITE", "ACK", "BYE"]);
    // Every connection asked for the target's name (SNI).
    expect(carrier.serverNames.length).toBeGreaterThan(0);
    expect(new Set(carrier.serverNames)).toEqual(new Set([CARRIER_HOST]));
  });

  it("a carrier whose certificate names another host is refused; its target goes down saying why", async () => {
    const id = await trunk("carrier-impostor", impostor.port);
    const h = await until(health(id), (x) => x.targets[0]?.state === "down", "the impostor down");
    expect(h.targets[0]!.lastError).toMatch(
      /certificate verification of localhost .* ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    expect(impostor.requests).toEqual([]);
  });
});

describe("a TLS listener with the gateway's certificate (HOOKLINE_TLS_CERT, HOOKLINE_SIP_TLS_PORT)", () => {
  let ca: TestCa;
  let stack: Stack;

  beforeAll(async () => {
    ca = createTestCa();
    const cert = ca.issue(["127.0.0.1"]);
    stack = await startStack({
      HOOKLINE_TLS_CERT: cert.certFile,
      HOOKLINE_TLS_KEY: cert.keyFile,
      HOOKLINE_SIP_TLS_PORT: "0",
    });
  });
  afterAll(async () => {
    await stack?.close();
    ca?.remove();
  });

  it("answers a PBX's OPTIONS over TLS on the connection it came on", async () => {
    const port = stack.h.ports.tls;
    expect(port).toBeGreaterThan(0);
    const pbx = tls.connect({ host: "127.0.0.1", port: port!, ca: ca.ca });
    pbx.on("error", () => {});
    const framer = new StreamFramer();
    const answers: SipResponse[] = [];
    pbx.on("data", (chunk: Buffer) => {
      for (const r of framer.push(chunk)) if (r.ok && r.message.kind === "response") answers.push(r.message);
    });
    await new Promise<void>((resolve, reject) => pbx.once("secureConnect", resolve).once("error", reject));
    const request =
      "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKpbx1\r\n" +
      "Max-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.1>;tag=p1\r\nTo: <sip:127.0.0.1>\r\n" +
      "Call-ID: pbx-options-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    pbx.write(request);
    await until(
      () => Promise.resolve(answers),
      (a) => a.length > 0,
      "the answer",
    );
    expect(answers[0]).toMatchObject({ status: 200 });
    expect(answers[0]!.headers.find((h) => h.key === "call-id")?.value).toBe("pbx-options-1");
    pbx.destroy();
  });
});
