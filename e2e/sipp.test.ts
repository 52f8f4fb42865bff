/**
 * SIPp interop (RFC 3261 over UDP and TCP, RFC 2617 digest): real SIPp 3.6 processes (scenario files in e2e/sipp, digest auth through
 * SIPp's `[authentication]`) register and call through an in-process Hookline over UDP and TCP.
 * Assertions are on SIPp's exit codes, its statistics, the message flow it traced, and what the
 * database recorded (through the REST API).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./src/index.js";
import { messageFlow, runSipp, startRegisteredUas } from "./src/sipp.js";

const DOMAIN = "sipp.test";

interface Registration {
  aor: string;
  transport: string;
  userAgent: string | null;
}
interface CallSummary {
  id: string;
  from: string;
  to: string;
  state: string;
  endReason: string | null;
}
interface CallDetail extends CallSummary {
  legs: Array<{ direction: string; transport: string; state: string }>;
  messages: Array<{ direction: string; method: string | null; status: number | null }>;
}

// ─── the tests ─────────────────────────────────────────────────────────────────

describe("SIPp interop", () => {
  let stack: Stack;
  let apiKey: string;
  let target: string;

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey } = await stack.tenant(DOMAIN, ["alice", "bob"]));
    target = `127.0.0.1:${stack.h.ports.sip}`;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const api = <T>(p: string) => stack.api<T>("GET", p, undefined, apiKey);

  /** Polls the API until bob has a binding over `transport`; fails early if bob's SIPp exits. */
  /** bob has a binding over `transport`. */
  const bobRegistered = (transport: string) => async () => {
    const regs = await api<{ data: Registration[] }>("/v1/registrations");
    return regs.body.data.some((r) => r.aor === `sip:bob@${DOMAIN}` && r.transport === transport);
  };

  for (const [transport, mode] of [
    ["udp", "u1"],
    ["tcp", "t1"],
  ] as const) {
    describe(`over ${transport.toUpperCase()}`, () => {
      /** alice registers with `password`; the exchange is traced. */
      const registerAlice = (password: string) =>
        runSipp({
          scenario: "register-auth.xml",
          target,
          transport: mode,
          service: "alice",
          auth: { user: "alice", password },
          vars: { domain: DOMAIN },
          traceMessages: true,
        });

      it("registers with digest auth (401, then 200)", async () => {
        const res = await registerAlice("alice-secret");
        expect(res.errors).toBe("");
        expect(res).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(res.messages)).toEqual(["REGISTER", "401", "REGISTER", "200"]);
      });

      it("refuses a wrong password (the scenario fails on the 403)", async () => {
        const res = await registerAlice("not-the-secret");
        expect(res).toMatchObject({ code: 1, successful: 0, failed: 1 });
        expect(messageFlow(res.messages).slice(0, 4)).toEqual(["REGISTER", "401", "REGISTER", "403"]);
      });

      it("alice calls bob (a registered SIPp UAS): 407, 180, 200, ACK, BYE; the call is in the database", async () => {
        const bob = await startRegisteredUas(
          { target, transport: mode, user: "bob", domain: DOMAIN },
          bobRegistered(transport),
        );

        const alice = await runSipp({
          scenario: "uac-call-auth.xml",
          target,
          transport: mode,
          service: "bob",
          auth: { user: "alice", password: "alice-secret" },
          vars: { domain: DOMAIN, caller: "alice" },
          pauseMs: 200,
          traceMessages: true,
        });
        expect(alice.errors).toBe("");
        expect(alice).toMatchObject({ code: 0, successful: 1, failed: 0 });
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

        // bob saw its own dialog (the gateway's leg), then unregistered and exited cleanly.
        const b = await bob.exited;
        expect(b).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(b.messages)).toEqual([
          "REGISTER",
          "401",
          "REGISTER",
          "200",
          "INVITE",
          "180",
          "200",
          "ACK",
          "BYE",
          "200",
          "REGISTER",
          "200",
        ]);

        const calls = await api<{ data: CallSummary[] }>("/v1/calls");
        const call = calls.body.data.find(
          (c) => c.from === `sip:alice@${DOMAIN}` && c.to === `sip:bob@${DOMAIN}` && c.state === "completed",
        );
        expect(call?.endReason).toBe("caller-hangup");
        const detail = await api<CallDetail>(`/v1/calls/${call!.id}`);
        expect(detail.body.legs.map((l) => [l.direction, l.transport])).toEqual([
          ["inbound", transport],
          ["outbound", transport],
        ]);
        const received = detail.body.messages
          .filter((m) => m.direction === "received")
          .map((m) => m.method ?? String(m.status));
        expect(received).toEqual(expect.arrayContaining(["INVITE", "180", "200", "ACK", "BYE"]));
      });

      it("a call to an unknown user gets 404 after authenticating", async () => {
        const res = await runSipp({
          scenario: "uac-call-404.xml",
          target,
          transport: mode,
          service: "nobody",
          auth: { user: "alice", password: "alice-secret" },
          vars: { domain: DOMAIN, caller: "alice" },
          traceMessages: true,
        });
        expect(res.errors).toBe("");
        expect(res).toMatchObject({ code: 0, successful: 1, failed: 0 });
        expect(messageFlow(res.messages)).toEqual(["INVITE", "407", "ACK", "INVITE", "100", "404", "ACK"]);
      });
    });
  }
});
