/**
 * Calls out through trunks (SPEC §3 trunks, §5 `dial`) with SIPp as the carrier on 127.0.0.2: a
 * SIPp caller's call is dialled by a real node:http application to `{number, trunk}`. A carrier
 * that challenges with 407 gets the trunk's digest answer and connects; a first target answering
 * 503 fails over to the second, which answers 200. Caller id: the caller's assigned number in From
 * and P-Asserted-Identity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actions, App } from "./src/application-app.js";
import { computeDigestResponse, computeHa1, parseDigestCredentials } from "@hookline/sip-core";
import { startStack, type Stack } from "./src/index.js";
import { runSipp, startSipp } from "./src/sipp.js";

const DOMAIN = "trunks-out.test";
const CARRIER = "127.0.0.2";
const base = 21000 + Math.floor(Math.random() * 8000);
const ports = { auth: base, busy: base + 1, ok: base + 2 };

describe("trunks: calls out through a carrier (SPEC §3)", () => {
  let stack: Stack;
  let app: App;
  let apiKey: string;
  let target: string;

  beforeAll(async () => {
    app = new App();
    const url = await app.listen();
    stack = await startStack();
    let domainId: string;
    ({ apiKey, domainId } = await stack.tenant(DOMAIN, ["alice"]));
    target = `127.0.0.1:${stack.h.ports.sip}`;
    const ok = async (p: Promise<{ status: number; body: unknown }>, status: number) => {
      const r = await p;
      expect(r.status, JSON.stringify(r.body)).toBe(status);
    };
    await ok(stack.api("PATCH", `/v1/domains/${domainId}`, { applicationUrl: `${url}/app` }, apiKey), 200);
    await ok(
      stack.api(
        "POST",
        "/v1/trunks",
        {
          name: "carrier-auth",
          outbound: {
            targets: [{ host: CARRIER, port: ports.auth }],
            credentials: { username: "acme", password: "carrier-pw" },
          },
        },
        apiKey,
      ),
      201,
    );
    await ok(
      stack.api(
        "POST",
        "/v1/trunks",
        {
          name: "carrier-failover",
          outbound: {
            targets: [
              { host: CARRIER, port: ports.ok, priority: 2 },
              { host: CARRIER, port: ports.busy, priority: 1 },
            ],
          },
        },
        apiKey,
      ),
      201,
    );
    await ok(
      stack.api("POST", "/v1/numbers", { number: "+15550000001", domain: DOMAIN, user: "alice" }, apiKey),
      201,
    );
  });
  afterAll(async () => {
    await stack?.close();
    await app?.close();
  });

  const aliceCalls = () =>
    runSipp({
      scenario: "uac-call-auth.xml",
      target,
      transport: "u1",
      service: "out",
      auth: { user: "alice", password: "alice-secret" },
      vars: { domain: DOMAIN, caller: "alice" },
      pauseMs: 200,
      traceMessages: true,
    });

  it("answers the carrier's 407 with the trunk's credentials; the call connects with alice's number as caller id", async () => {
    app.routes["/app"] = actions({ action: "dial", to: { number: "+15557770001", trunk: "carrier-auth" } });
    const carrier = startSipp({
      scenario: "carrier-uas-auth.xml",
      target,
      transport: "u1",
      service: "carrier",
      traceMessages: true,
      extraArgs: ["-i", CARRIER, "-p", String(ports.auth)],
    });
    const alice = await aliceCalls();
    expect(alice.errors).toBe("");
    expect(alice).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const c = await carrier.exited;
    expect(c.errors).toBe("");
    expect(c).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const invites = c.messages.split(/^(?=INVITE )/m).filter((m) => m.startsWith("INVITE "));
    expect(invites).toHaveLength(2);
    expect(invites[0]).toMatch(/^INVITE sip:\+15557770001@127\.0\.0\.2:\d+ SIP\/2\.0/);
    // The digest answer (RFC 7616 §3.4.1) computed from the trunk's password and the challenge.
    const auth = parseDigestCredentials(/^Proxy-Authorization: (.*?)\r?$/m.exec(invites[1]!)?.[1] ?? "");
    expect(auth.ok).toBe(true);
    if (!auth.ok) return;
    expect(auth.value).toMatchObject({ username: "acme", realm: "carrier.test", qop: "auth" });
    const expected = computeDigestResponse({
      algorithm: "MD5",
      ha1: computeHa1("MD5", "acme", "carrier.test", "carrier-pw"),
      nonce: auth.value.nonce,
      method: "INVITE",
      uri: auth.value.uri,
      qop: "auth",
      nc: auth.value.nc,
      cnonce: auth.value.cnonce,
    });
    expect(auth.value.response).toBe(expected);
    expect(invites[1]).toMatch(/^CSeq: 2 INVITE\r?$/m);
    const callId = (m: string) => /^Call-ID: (.*)$/m.exec(m)?.[1];
    expect(callId(invites[1]!)).toBe(callId(invites[0]!));
    expect(invites[1]).toMatch(/^From: <sip:\+15550000001@127\.0\.0\.2>;tag=/m);
    expect(invites[1]).toMatch(/^P-Asserted-Identity: <sip:\+15550000001@127\.0\.0\.2>\r?$/m);
  });

  it("fails over from a target answering 503 to the next, which answers 200", async () => {
    app.routes["/app"] = actions({
      action: "dial",
      to: { number: "+15557770002", trunk: "carrier-failover" },
    });
    const busy = startSipp({
      scenario: "carrier-uas-503.xml",
      target,
      transport: "u1",
      service: "carrier",
      traceMessages: true,
      extraArgs: ["-i", CARRIER, "-p", String(ports.busy)],
    });
    const answering = startSipp({
      scenario: "uas-answer.xml",
      target,
      transport: "u1",
      service: "carrier",
      traceMessages: true,
      extraArgs: ["-i", CARRIER, "-p", String(ports.ok)],
    });
    const alice = await aliceCalls();
    expect(alice.errors).toBe("");
    expect(alice).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await busy.exited).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const ok = await answering.exited;
    expect(ok).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(ok.messages).toMatch(/^INVITE sip:\+15557770002@127\.0\.0\.2:\d+ SIP\/2\.0/m);
  });
});
