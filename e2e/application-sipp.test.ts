/**
 * Programmable calls (SPEC §5) with SIP equipment rather than our own softphone: SIPp over UDP is
 * the caller (digest auth) and the callee (a registered UAS), and a real node:http application
 * steers the call: a call to `sales`, who is no user, is dialled to bob with the application's
 * caller id and X- header.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actions, App } from "./src/application-app.js";
import { startStack, type Stack } from "./src/index.js";
import { messageFlow, runSipp, startRegisteredUas } from "./src/sipp.js";

const DOMAIN = "app-sipp.test";

describe("programmable calls with SIPp over UDP (SPEC §5)", () => {
  let stack: Stack;
  let app: App;
  let apiKey: string;
  let target: string;

  beforeAll(async () => {
    app = new App();
    const base = await app.listen();
    stack = await startStack();
    let domainId: string;
    ({ apiKey, domainId } = await stack.tenant(DOMAIN, ["alice", "bob"]));
    target = `127.0.0.1:${stack.h.ports.sip}`;
    const r = await stack.api("PATCH", `/v1/domains/${domainId}`, { applicationUrl: `${base}/app` }, apiKey);
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.close();
    await app?.close();
  });

  it("a SIPp caller's call to sales is dialled by the application to bob, a SIPp UAS, with its caller id and X- header", async () => {
    app.routes["/app"] = actions({
      action: "dial",
      to: "bob",
      callerId: "support",
      headers: { "X-Ticket": "42" },
    });
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

    const alice = await runSipp({
      scenario: "uac-call-auth.xml",
      target,
      transport: "u1",
      service: "sales",
      auth: { user: "alice", password: "alice-secret" },
      vars: { domain: DOMAIN, caller: "alice" },
      pauseMs: 200,
      traceMessages: true,
    });
    expect(alice.errors).toBe("");
    expect(alice).toMatchObject({ code: 0, successful: 1, failed: 0 });
    // The caller hears 100 Trying while the application is asked, then the callee's 180 and 200.
    expect(messageFlow(alice.messages)).toEqual([
      "INVITE",
      "407",
      "ACK",
      "INVITE",
      "100",
      "180",
      "200",
      "ACK",
      "BYE",
      "200",
    ]);

    const b = await bob.exited;
    expect(b).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const bobInvite = b.messages.slice(b.messages.search(/^INVITE sip:bob/m));
    expect(bobInvite).toMatch(/^From: .*<sip:support@app-sipp\.test>/m);
    expect(bobInvite).toMatch(/^X-Ticket: 42\r?$/m);

    const asked = app.asked.filter((a) => a.path === "/app");
    expect(asked).toHaveLength(1);
    expect(asked[0]!.json).toMatchObject({
      type: "call.incoming",
      data: { from: `sip:alice@${DOMAIN}`, to: `sip:sales@${DOMAIN}`, source: { transport: "udp" } },
    });
    expect(asked[0]!.json.data.media).toEqual({ codecs: ["PCMU/8000"] });

    const calls = await stack.api<{ data: Array<{ id: string; to: string; state: string }> }>(
      "GET",
      "/v1/calls",
      undefined,
      apiKey,
    );
    const call = calls.body.data.find((c) => c.to === `sip:sales@${DOMAIN}`);
    expect(call?.state).toBe("completed");
    const detail = await stack.api<{ hooks: Array<{ kind: string; status: number; error: string | null }> }>(
      "GET",
      `/v1/calls/${call!.id}`,
      undefined,
      apiKey,
    );
    expect(detail.body.hooks).toEqual([
      expect.objectContaining({ kind: "application", status: 200, error: null }),
    ]);
  });
});
