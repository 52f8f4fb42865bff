/**
 * SIP trunks with SIPp as the carrier (SPEC §3 trunks and numbers, §5 application hook). Inbound:
 * a carrier bound to 127.0.0.2, allowed by the account's trunk, calls one of the account's numbers;
 * a real node:http application dials bob, a registered SIPp UAS, or carol, a sip.js softphone over
 * WebSocket. A carrier at 127.0.0.3, which no trunk allows, gets the same 403 for that number and
 * for a number nobody has.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actions, App } from "./src/application-app.js";
import { NodePhone, startStack, type Stack } from "./src/index.js";
import { messageFlow, runSipp, startRegisteredUas } from "./src/sipp.js";

const DOMAIN = "trunks.test";
const NUMBER = "+15551230001";

describe("trunks: a carrier's calls to the account's numbers (SPEC §3)", () => {
  let stack: Stack;
  let app: App;
  let apiKey: string;
  let target: string;

  beforeAll(async () => {
    app = new App();
    const base = await app.listen();
    stack = await startStack();
    let domainId: string;
    ({ apiKey, domainId } = await stack.tenant(DOMAIN, ["bob", "carol"]));
    target = `127.0.0.1:${stack.h.ports.sip}`;
    const patched = await stack.api(
      "PATCH",
      `/v1/domains/${domainId}`,
      { applicationUrl: `${base}/app` },
      apiKey,
    );
    expect(patched.status).toBe(200);
    const trunk = await stack.api(
      "POST",
      "/v1/trunks",
      { name: "carrier-a", inbound: { addresses: ["127.0.0.2"] }, numberFormat: { countryCode: "1" } },
      apiKey,
    );
    expect(trunk.status).toBe(201);
    const number = await stack.api(
      "POST",
      "/v1/numbers",
      { number: NUMBER, trunk: "carrier-a", domain: DOMAIN },
      apiKey,
    );
    expect(number.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.close();
    await app?.close();
  });

  it("a carrier's call to a number (written nationally) goes through the application to bob", async () => {
    app.routes["/app"] = actions({ action: "dial", to: "bob" });
    const bob = await startRegisteredUas(
      { target, transport: "u1", user: "bob", domain: DOMAIN },
      async () => {
        const regs = await stack.api<{ data: Array<{ aor: string }> }>(
          "GET",
          "/v1/registrations",
          undefined,
          apiKey,
        );
        return regs.body.data.some((r) => r.aor === `sip:bob@${DOMAIN}`);
      },
    );

    // The carrier writes the number without its country code; the trunk's rules add it.
    const carrier = await runSipp({
      scenario: "carrier-uac-call.xml",
      target,
      transport: "u1",
      service: "5551230001",
      vars: { caller: "+14155550100" },
      pauseMs: 200,
      traceMessages: true,
      extraArgs: ["-i", "127.0.0.2"],
    });
    expect(carrier.errors).toBe("");
    expect(carrier).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(messageFlow(carrier.messages)).toEqual(["INVITE", "100", "180", "200", "ACK", "BYE", "200"]);
    expect(await bob.exited).toMatchObject({ code: 0, successful: 1, failed: 0 });

    const asked = app.asked.filter((a) => a.path === "/app");
    expect(asked).toHaveLength(1);
    expect(asked[0]!.json).toMatchObject({
      type: "call.incoming",
      data: {
        domain: DOMAIN,
        to: NUMBER,
        from: "sip:+14155550100@127.0.0.2",
        source: { transport: "udp", trunk: "carrier-a" },
      },
    });
    expect((asked[0]!.json.data.source as { address: string }).address).toMatch(/^127\.0\.0\.2:/);

    const calls = await stack.api<{ data: Array<{ state: string; from: string }> }>(
      "GET",
      "/v1/calls",
      undefined,
      apiKey,
    );
    expect(calls.body.data.find((c) => c.from === "sip:+14155550100@127.0.0.2")?.state).toBe("completed");
  });

  it("a carrier's call to a number goes through the application to a sip.js softphone over WebSocket", async () => {
    app.routes["/app"] = actions({ action: "dial", to: "carol" });
    const carol = await NodePhone.register({ wsUrl: stack.wsUrl, user: "carol", domain: DOMAIN });
    try {
      const answered = carol.nextInvitation().then((inv) => inv.accept());
      const carrier = runSipp({
        scenario: "carrier-uac-call.xml",
        target,
        transport: "u1",
        service: NUMBER,
        vars: { caller: "+14155550101" },
        pauseMs: 200,
        traceMessages: true,
        extraArgs: ["-i", "127.0.0.2"],
      });
      await answered;
      const c = await carrier;
      expect(c.errors).toBe("");
      expect(c).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expect(messageFlow(c.messages).slice(-4)).toEqual(["200", "ACK", "BYE", "200"]);
      const calls = await stack.api<{ data: Array<{ state: string; from: string; to: string }> }>(
        "GET",
        "/v1/calls",
        undefined,
        apiKey,
      );
      expect(calls.body.data.find((x) => x.from === "sip:+14155550101@127.0.0.2")).toMatchObject({
        state: "completed",
      });
    } finally {
      await carol.stop();
    }
  });

  it("a source no trunk allows gets the same 403 for an existing number and for an unknown one", async () => {
    const before = app.asked.length;
    for (const service of [NUMBER, "+15559999999"]) {
      const r = await runSipp({
        scenario: "carrier-uac-refused.xml",
        target,
        transport: "u1",
        service,
        vars: { caller: "+14155550100" },
        traceMessages: true,
        extraArgs: ["-i", "127.0.0.3"],
      });
      expect(r.errors).toBe("");
      expect(r).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expect(r.messages).toMatch(/^SIP\/2\.0 403 Forbidden\r?$/m);
    }
    expect(app.asked.length).toBe(before);
  });
});
