/**
 * Calls to the telephone network through trunks that no application steers (SPEC §3 trunks, §5),
 * with SIPp as the carrier on 127.0.0.2: a sip.js softphone dialling a number on a domain without
 * an `applicationUrl` reaches the carrier through the account's default trunk, and `POST /v1/calls`
 * rings a number through a named trunk first, then bridges a registered sip.js user. The carrier's
 * INVITE shows the trunk's number rules (Request-URI) and caller id rules (From and
 * P-Asserted-Identity, RFC 3325).
 */
import { readFileSync } from "node:fs";
import { SessionState } from "sip.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodePhone, sessionState, startStack, type Stack } from "./src/index.js";
import { startSipp, type SippProcess } from "./src/sipp.js";

const DOMAIN = "trunks-calls.test";
const CARRIER = "127.0.0.2";
// Its own range, below Linux's ephemeral ports (32768+): trunks-outbound.test.ts takes 21000–29000.
const base = 16000 + 2 * Math.floor(Math.random() * 2000);
const ports = { us: base, uk: base + 1 };

interface CallDetail {
  state: string;
  origin: string;
  from: string;
  to: string;
  reason: string | null;
  legs: Array<{ direction: string; remoteUri: string; transport: string; state: string }>;
  timeline: Array<{
    type: string;
    method?: string | null;
    direction?: string;
    headers?: Record<string, string>;
  }>;
}

/** Resolves once a UDP socket is bound on `ip:port` (read from /proc/net/udp: no probe bind). */
async function udpListening(ip: string, port: number): Promise<void> {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");
  const local = `${ip
    .split(".")
    .reverse()
    .map((o) => hex(Number(o), 2))
    .join("")}:${hex(port, 4)}`;
  for (let i = 0; i < 200; i++) {
    if (readFileSync("/proc/net/udp", "utf8").includes(` ${local} `)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on udp ${ip}:${port}`);
}

/** The first INVITE in a SIPp -trace_msg log. */
const firstInvite = (messages: string) =>
  messages.split(/^(?=[A-Z]+ sip:|SIP\/2\.0 )/m).find((m) => m.startsWith("INVITE ")) ?? "";

describe("trunks: numbers dialled without an application, and API calls to a number (SPEC §3, §5)", () => {
  let stack: Stack;
  let apiKey: string;
  let alice: NodePhone;
  let bob: NodePhone;
  let target: string;

  const carrier = async (port: number): Promise<SippProcess> => {
    const sipp = startSipp({
      scenario: "uas-answer.xml",
      target,
      transport: "u1",
      service: "carrier",
      traceMessages: true,
      extraArgs: ["-i", CARRIER, "-p", String(port)],
    });
    await udpListening(CARRIER, port);
    return sipp;
  };

  /** The call once it has ended (its row is written a moment after the last BYE). */
  const endedCall = async (id: string): Promise<CallDetail> => {
    for (let i = 0; i < 100; i++) {
      const r = await stack.api<CallDetail>("GET", `/v1/calls/${id}`, undefined, apiKey);
      if (r.body.state === "completed" || r.body.state === "failed") return r.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`call ${id} did not end`);
  };

  beforeAll(async () => {
    stack = await startStack({}, { ringTimeoutMs: 5000 });
    ({ apiKey } = await stack.tenant(DOMAIN, ["alice", "bob", "sales"]));
    target = `127.0.0.1:${stack.h.ports.sip}`;
    const ok = async (p: Promise<{ status: number; body: unknown }>, status: number) => {
      const r = await p;
      expect(r.status, JSON.stringify(r.body)).toBe(status);
    };
    await ok(
      stack.api(
        "POST",
        "/v1/trunks",
        {
          name: "carrier-us",
          default: true,
          outbound: { targets: [{ host: CARRIER, port: ports.us }] },
          numberFormat: { countryCode: "1" },
          callerId: { number: "+15551230000", assertIdentity: true },
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
          name: "carrier-uk",
          outbound: { targets: [{ host: CARRIER, port: ports.uk }] },
          numberFormat: { countryCode: "44", nationalPrefix: "0", outboundFormat: "national" },
          callerId: { number: "+442070000000", assertIdentity: true },
        },
        apiKey,
      ),
      201,
    );
    await ok(
      stack.api("POST", "/v1/numbers", { number: "+442070000001", domain: DOMAIN, user: "sales" }, apiKey),
      201,
    );
    alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain: DOMAIN });
    bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain: DOMAIN });
  });
  afterAll(async () => {
    for (const p of [alice, bob]) await p?.stop();
    await stack?.close();
  });

  it("a softphone dialling a national number reaches the carrier through the default trunk, with the trunk's caller id", async () => {
    const sipp = await carrier(ports.us);
    const inviter = alice.call(`sip:5557770004@${DOMAIN}`);
    await sessionState(inviter, SessionState.Established);
    await inviter.bye();
    await sessionState(inviter, SessionState.Terminated);

    const c = await sipp.exited;
    expect(c.errors).toBe("");
    expect(c).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const invite = firstInvite(c.messages);
    // Country code 1 makes 5557770004 E.164; the trunk writes numbers as E.164 (its default).
    expect(invite).toMatch(/^INVITE sip:\+15557770004@127\.0\.0\.2:\d+ SIP\/2\.0/);
    // alice has no number of her own: the trunk's configured caller id, asserted (RFC 3325).
    expect(invite).toMatch(/^From: <sip:\+15551230000@127\.0\.0\.2>;tag=/m);
    expect(invite).toMatch(/^P-Asserted-Identity: <sip:\+15551230000@127\.0\.0\.2>\r?$/m);

    const list = await stack.api<{ data: Array<{ id: string; to: string }> }>(
      "GET",
      "/v1/calls?limit=1",
      undefined,
      apiKey,
    );
    const call = await endedCall(list.body.data[0]!.id);
    expect(call).toMatchObject({
      state: "completed",
      origin: "inbound",
      from: `sip:alice@${DOMAIN}`,
      to: `sip:5557770004@${DOMAIN}`,
      reason: "caller-hangup",
    });
    expect(call.legs).toHaveLength(2);
    expect(call.legs[1]).toMatchObject({ direction: "outbound", state: "terminated" });
    expect(call.legs[1]!.remoteUri).toMatch(/^sip:\+15557770004@127\.0\.0\.2:\d+$/);
  });

  it("POST /v1/calls rings a number through the named trunk, then its actions bridge a softphone", async () => {
    const sipp = await carrier(ports.uk);
    const started = await stack.api<{ id: string; from: string; to: string }>(
      "POST",
      "/v1/calls",
      {
        to: { number: "020 7946 0018", trunk: "carrier-uk" },
        from: "sales",
        actions: [{ action: "dial", to: "bob" }],
      },
      apiKey,
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ from: `sip:sales@${DOMAIN}`, to: "tel:+442079460018" });
    const toBob = await bob.nextInvitation();
    // bob gets the carrier's offer (RFC 3725 flow I: its 200 offered PCMU) through the gateway's media.
    expect(toBob.request.body).toMatch(/^m=audio \d+ \S+ 0\r?$/m);
    expect(toBob.request.body).toMatch(/^a=rtpmap:0 PCMU\/8000\r?$/m);
    await toBob.accept();
    await sessionState(toBob, SessionState.Established);
    await toBob.bye();
    await sessionState(toBob, SessionState.Terminated);

    const c = await sipp.exited;
    expect(c.errors).toBe("");
    expect(c).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const invite = firstInvite(c.messages);
    // +44 20 7946 0018 written the national way the trunk asks for: trunk prefix 0, no country code.
    expect(invite).toMatch(/^INVITE sip:02079460018@127\.0\.0\.2:\d+ SIP\/2\.0/);
    expect(invite).toMatch(/^Content-Length: *0\r?$/m);
    // The caller is `sales`, whose number is +442070000001: From and P-Asserted-Identity say so.
    expect(invite).toMatch(/^From: <sip:\+442070000001@127\.0\.0\.2>;tag=/m);
    expect(invite).toMatch(/^P-Asserted-Identity: <sip:\+442070000001@127\.0\.0\.2>\r?$/m);

    const call = await endedCall(started.body.id);
    expect(call).toMatchObject({
      state: "completed",
      origin: "api",
      from: `sip:sales@${DOMAIN}`,
      to: "tel:+442079460018",
      reason: "callee-hangup",
    });
    expect(call.legs).toHaveLength(2);
    expect(call.legs.map((l) => l.state)).toEqual(["terminated", "terminated"]);
    expect(call.legs[0]!.remoteUri).toMatch(/^sip:02079460018@127\.0\.0\.2:\d+$/);
    expect(call.legs.map((l) => l.transport)).toEqual(["udp", "ws"]);
  });

  it("POST /v1/calls to a number names the field it cannot use", async () => {
    const post = (body: object, key = apiKey) =>
      stack.api<{ error: { message: string } }>(
        "POST",
        "/v1/calls",
        { ...body, actions: [{ action: "hangup" }] },
        key,
      );
    const unknown = await post({ to: { number: "+15551234567", trunk: "carrier-xx" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/^to\.trunk: .*carrier-xx/);
    // 19 digits: no rule of carrier-uk makes that an E.164 number (15 digits at most).
    const tooLong = await post({ to: { number: "0044207946001812345", trunk: "carrier-uk" } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/^to\.number: /);
    const other = await stack.tenant("no-trunks.test", []);
    const noDefault = await post({ to: { number: "+15551234567" } }, other.apiKey);
    expect(noDefault.status).toBe(404);
    expect(noDefault.body.error.message).toMatch(/^to\.trunk: .*default trunk/);
  });
});
