/**
 * RFC 3261 and RFC 7118: sip.js user agents in Node register and call each other through the
 * gateway over WebSocket. Every assertion is on what a real client saw or what the database recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Messager, SessionState, UserAgent } from "sip.js";
import { NodePhone, sessionState, startStack, type Stack } from "./src/index.js";

const DOMAIN = "acme.test";

describe("calls through the gateway with sip.js (RFC 3261, RFC 7118)", () => {
  let stack: Stack;
  let alice: NodePhone;
  let bob: NodePhone;
  let apiKey: string;

  beforeAll(async () => {
    stack = await startStack({}, { ringTimeoutMs: 1500 });
    ({ apiKey } = await stack.tenant(DOMAIN, ["alice", "bob", "carol"]));
    await stack.tenant("other.test", ["mallory"]);
    alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain: DOMAIN });
    bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain: DOMAIN });
  });
  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await stack?.close();
  });

  it("lists both registrations through the API", async () => {
    const regs = await stack.api<{ data?: unknown[] } | unknown[]>(
      "GET",
      "/v1/registrations",
      undefined,
      apiKey,
    );
    expect(regs.status).toBe(200);
    const text = JSON.stringify(regs.body);
    expect(text).toContain(`sip:alice@${DOMAIN}`);
    expect(text).toContain(`sip:bob@${DOMAIN}`);
  });

  it("rings, answers, carries INFO and a re-INVITE, and hangs up; the trace is in the database", async () => {
    const inviter = alice.call(`sip:bob@${DOMAIN}`, ["X-Customer: 42", "X-Hookline-Secret: no"]);
    const invitation = await bob.nextInvitation();
    // X- headers cross, Hookline's own do not; the callee sees the gateway, not the caller's leg.
    expect(invitation.request.getHeader("X-Customer")).toBe("42");
    expect(invitation.request.getHeader("X-Hookline-Secret")).toBeUndefined();
    expect(invitation.request.callId).not.toBe(inviter.request.callId);
    await invitation.progress();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);

    const info = await new Promise<number>((resolve, reject) => {
      inviter
        .info({
          requestOptions: {
            body: {
              contentDisposition: "render",
              contentType: "application/dtmf-relay",
              content: "Signal=5\r\nDuration=160\r\n",
            },
          },
          requestDelegate: {
            onAccept: (r) => resolve(r.message.statusCode ?? 0),
            onReject: (r) => resolve(r.message.statusCode ?? 0),
          },
        })
        .catch(reject);
    });
    expect(info).toBe(200);
    expect(bob.infos.map((i) => i.request.body)).toContain("Signal=5\r\nDuration=160\r\n");

    const reinvite = await new Promise<number>((resolve, reject) => {
      inviter
        .invite({
          requestDelegate: {
            onAccept: (r) => resolve(r.message.statusCode ?? 0),
            onReject: (r) => resolve(r.message.statusCode ?? 0),
          },
        })
        .catch(reject);
    });
    expect(reinvite).toBe(200);

    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);

    const calls = await stack.api<{ data: Array<{ id: string; state: string }> }>(
      "GET",
      "/v1/calls",
      undefined,
      apiKey,
    );
    const call = calls.body.data[0]!;
    expect(call.state).toBe("completed");
    const detail = await stack.api<{
      legs: unknown[];
      messages: Array<{ seq: number; method: string | null; status: number | null; direction: string }>;
    }>("GET", `/v1/calls/${call.id}`, undefined, apiKey);
    expect(detail.body.legs).toHaveLength(2);
    const trace = detail.body.messages.map((m) => `${m.direction[0]}:${m.method ?? m.status}`);
    // The trace is ordered: INVITE in, INVITE out, ... BYE in, BYE out.
    expect(trace[0]).toBe("r:INVITE");
    // Headers are kept per message (lower-case names), Hookline's own stripped only when forwarded.
    const first = detail.body.messages[0] as unknown as { headers: Record<string, string> };
    expect(first.headers["x-customer"]).toBe("42");
    expect(trace).toContain("s:INVITE");
    expect(trace).toContain("r:180");
    expect(trace).toContain("s:180");
    expect(trace).toContain("r:INFO");
    expect(trace).toContain("s:INFO");
    expect(trace.filter((t) => t === "r:BYE" || t === "s:BYE")).toHaveLength(2);
    const seqs = detail.body.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("cancels while ringing: the callee's invitation is cancelled", async () => {
    const inviter = alice.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.progress();
    await new Promise((r) => setTimeout(r, 100));
    await inviter.cancel();
    await sessionState(invitation, SessionState.Terminated);
    await sessionState(inviter, SessionState.Terminated);
  });

  it("relays busy (486) to the caller", async () => {
    const status = finalStatusOf(alice, `sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.reject({ statusCode: 486 });
    expect(await status).toBe(486);
  });

  it("answers 480 when nobody picks up within the ring time", async () => {
    const status = finalStatusOf(alice, `sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.progress();
    expect(await status).toBe(480);
    await sessionState(invitation, SessionState.Terminated);
  });

  it("answers 404 for an unknown user and for a user of another tenant", async () => {
    expect(await finalStatusOf(alice, `sip:nobody@${DOMAIN}`)).toBe(404);
    expect(await finalStatusOf(alice, "sip:mallory@other.test")).toBe(404);
  });

  it("relays an out-of-dialog MESSAGE between registered users", async () => {
    const got = new Promise<string>((resolve) => {
      bob.ua.delegate = { ...bob.ua.delegate, onMessage: (m) => (void m.accept(), resolve(m.request.body)) };
    });
    const status = await new Promise<number>((resolve) => {
      const messager = new Messager(alice.ua, UserAgent.makeURI(`sip:bob@${DOMAIN}`)!, "hello bob");
      void messager.message({
        requestDelegate: {
          onAccept: (r) => resolve(r.message.statusCode ?? 0),
          onReject: (r) => resolve(r.message.statusCode ?? 0),
        },
      });
    });
    expect(status).toBe(200);
    expect(await got).toBe("hello bob");
  });

  it("refuses a wrong password", async () => {
    const eve = await NodePhone.register({
      wsUrl: stack.wsUrl,
      user: "carol",
      domain: DOMAIN,
      password: "wrong",
    }).then(
      () => "registered",
      (e: Error) => e.message,
    );
    expect(eve).toMatch(/REGISTER rejected: 403|REGISTER rejected: 401/);
  });

  it("ends the call with a BYE to the other side when a WebSocket drops", async () => {
    const carol = await NodePhone.register({ wsUrl: stack.wsUrl, user: "carol", domain: DOMAIN });
    const inviter = carol.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    carol.dropConnection();
    await sessionState(invitation, SessionState.Terminated);
    await carol.stop();
  });
});

function finalStatusOf(phone: NodePhone, target: string): Promise<number> {
  return phone.callForStatus(target);
}
