/**
 * Programmable calls (SPEC §5) end to end: a real node:http application answers `call.incoming`
 * with actions, sip.js users over WebSocket are the callers and callees, and every failure of the
 * application ends in the fallback, then the default route, each on the call's timeline.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SessionState } from "sip.js";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actions, App, lastEndedCall, type Asked } from "./src/application-app.js";
import { NodePhone, sessionState, startStack, type Stack } from "./src/index.js";

const DOMAIN = "app.test";

describe("programmable calls: the application steers each call (SPEC §5)", () => {
  let stack: Stack;
  let app: App;
  let base: string;
  let apiKey: string;
  let domainId: string;
  let secret: string;
  let alice: NodePhone;
  let bob: NodePhone;
  let carol: NodePhone;

  const setHook = async (
    applicationUrl: string | null,
    fallbackUrl: string | null = null,
    applicationTimeoutMs = 1000,
  ) => {
    const r = await stack.api<{ secret?: string }>(
      "PATCH",
      `/v1/domains/${domainId}`,
      { applicationUrl, fallbackUrl, applicationTimeoutMs },
      apiKey,
    );
    expect(r.status).toBe(200);
    if (r.body.secret) secret = r.body.secret;
  };

  const lastCall = () => lastEndedCall(stack, apiKey);

  /** alice calls `user`, the `answerer` (if any) answers; resolves once both are up, then hangs up. */
  const callAnsweredBy = async (user: string, answerer: NodePhone) => {
    const inviter = alice.call(`sip:${user}@${DOMAIN}`, ["X-Ticket: 7"]);
    const invitation = await answerer.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);
    return invitation;
  };

  beforeAll(async () => {
    app = new App();
    base = await app.listen();
    stack = await startStack({}, { ringTimeoutMs: 3000 });
    ({ apiKey, domainId } = await stack.tenant(DOMAIN, ["alice", "bob", "carol", "dave"]));
    alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain: DOMAIN });
    bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain: DOMAIN });
    carol = await NodePhone.register({ wsUrl: stack.wsUrl, user: "carol", domain: DOMAIN });
  });
  afterAll(async () => {
    for (const p of [alice, bob, carol]) await p?.stop();
    await stack?.close();
    await app?.close();
  });

  it("asks the application with a signed call.incoming and dials the user it names", async () => {
    app.routes["/support"] = actions({ action: "dial", to: "bob", headers: { "X-Queue": "support" } });
    await setHook(`${base}/support`);
    const invitation = await callAnsweredBy("support", bob);
    expect(invitation.request.getHeader("X-Queue")).toBe("support");
    expect(invitation.request.getHeader("X-Ticket")).toBe("7");

    const asked = app.asked.at(-1)!;
    // Signed exactly like a callback, with the domain's own secret.
    const verified = new Webhook(secret).verify(asked.body, {
      "webhook-id": String(asked.headers["webhook-id"]),
      "webhook-timestamp": String(asked.headers["webhook-timestamp"]),
      "webhook-signature": String(asked.headers["webhook-signature"]),
    });
    expect(verified).toMatchObject({ type: "call.incoming" });
    expect(asked.json.data).toMatchObject({
      domain: DOMAIN,
      from: `sip:alice@${DOMAIN}`,
      to: `sip:support@${DOMAIN}`,
      headers: { "x-ticket": "7" },
      source: { transport: "ws" },
    });
    expect((asked.json.data.media as { codecs: string[] }).codecs).toContain("PCMU/8000");

    const call = await lastCall();
    expect(call.state).toBe("completed");
    expect(call.hooks).toMatchObject([{ kind: "application", status: 200, error: null }]);
    // The timeline starts with the digest challenge (INVITE, 407); from the INVITE that answered
    // it, the caller heard 100 Trying, and nothing else, until the dial rang.
    expect(call.timeline.slice(0, 2).map((t) => t.method ?? t.status)).toEqual(["INVITE", 407]);
    const timeline = call.timeline.slice(2);
    const toCaller = timeline.filter((t) => t.type === "sip" && t.direction === "sent" && t.status !== null);
    expect(toCaller[0]?.status).toBe(100);
    const hookAt = timeline.findIndex((t) => t.type === "hook");
    const firstAfterTrying = timeline.findIndex(
      (t, i) => i > 0 && t.type === "sip" && t.status !== null && t.status !== 100,
    );
    expect(hookAt).toBeLessThan(firstAfterTrying);
  });

  it("a dial with actionUrl forwards to a second user on busy", async () => {
    app.routes["/busy-then-carol"] = actions({ action: "dial", to: "bob", actionUrl: `${base}/after-dial` });
    app.routes["/after-dial"] = actions({ action: "dial", to: "carol" });
    await setHook(`${base}/busy-then-carol`);
    const inviter = alice.call(`sip:sales@${DOMAIN}`);
    const toBob = await bob.nextInvitation();
    await toBob.reject({ statusCode: 486 });
    const toCarol = await carol.nextInvitation();
    await toCarol.accept();
    await sessionState(inviter, SessionState.Established);
    const outcome = app.asked.find((a) => a.path === "/after-dial" && a.json.data.dial?.status === "busy");
    expect(outcome?.json).toMatchObject({
      type: "call.dial-completed",
      data: { dial: { status: "busy", sipStatus: 486 } },
    });
    await inviter.bye();
    const call = await lastCall();
    expect(call.hooks.map((h) => [h.kind, h.eventType])).toEqual([
      ["application", "call.incoming"],
      ["action", "call.dial-completed"],
    ]);
  });

  it("a dial with actionUrl forwards to a second user on no answer", async () => {
    app.routes["/noanswer-then-carol"] = actions({
      action: "dial",
      to: "bob",
      timeout: 1,
      actionUrl: `${base}/after-dial`,
    });
    await setHook(`${base}/noanswer-then-carol`);
    const inviter = alice.call(`sip:sales@${DOMAIN}`);
    const toBob = await bob.nextInvitation();
    const toCarol = await carol.nextInvitation();
    expect(toBob.state).toBe(SessionState.Terminated); // CANCELled after the dial's timeout
    await toCarol.accept();
    await sessionState(inviter, SessionState.Established);
    expect(app.asked.some((a) => a.path === "/after-dial" && a.json.data.dial?.status === "no-answer")).toBe(
      true,
    );
    await inviter.bye();
    await lastCall();
  });

  // Each way an application can fail ends in the fallback, which dials carol.
  const failures: Array<[string, (a: Asked, res: http.ServerResponse) => void, RegExp]> = [
    ["a timeout", () => {}, /^timeout/],
    ["a non-2xx status", (_a, res) => res.writeHead(500).end(), /non-2xx: HTTP 500/],
    ["invalid JSON", (_a, res) => res.writeHead(200).end("{nope"), /invalid JSON/],
    ["an unknown action", actions({ action: "play", url: "x" }), /unknown action "play"/],
    [
      "a bad field",
      actions({ action: "dial", to: "bob", timeout: "soon" }),
      /bad field actions\[0\]\.timeout/,
    ],
    [
      "a redirect loop",
      (a, res) => actions({ action: "redirect", url: `${base}${a.path}` })(a, res),
      /more than 10 redirects/,
    ],
  ];
  for (const [what, handler, error] of failures) {
    it(`${what} of the application leads to the fallback, recorded with its reason`, async () => {
      const path = `/fails-${what.replace(/\W+/g, "-")}`;
      app.routes[path] = handler;
      app.routes["/fallback"] = actions({ action: "dial", to: "carol" });
      await setHook(`${base}${path}`, `${base}/fallback`, 400);
      await callAnsweredBy("desk", carol);
      const call = await lastCall();
      expect(call.hooks.find((h) => h.error !== null)?.error).toMatch(error);
      expect(call.hooks.at(-1)).toMatchObject({ kind: "fallback", error: null });
    });
  }

  it("connection refused, then a failing fallback, end in the default route (the called user rings)", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    app.routes["/fallback-500"] = (_a, res) => res.writeHead(503).end();
    await setHook(`http://127.0.0.1:${deadPort}/`, `${base}/fallback-500`);
    await callAnsweredBy("bob", bob);
    const call = await lastCall();
    expect(call.hooks.map((h) => [h.kind, h.error?.split(":")[0]])).toEqual([
      ["application", "connection refused"],
      ["fallback", "non-2xx"],
    ]);
    expect(call.state).toBe("completed");
  });

  it("reject answers the caller with the application's status, and the call is recorded as failed", async () => {
    app.routes["/reject"] = actions(
      { action: "pause", seconds: 0.2 },
      { action: "reject", status: 486, reason: "Busy Here" },
    );
    await setHook(`${base}/reject`);
    expect(await alice.callForStatus(`sip:anyone@${DOMAIN}`)).toBe(486);
    const call = await lastCall();
    expect(call).toMatchObject({ state: "failed", endStatus: 486, reason: "rejected" });
  });

  it("calls to unknown and offline users are failed calls with their reason (default route)", async () => {
    await setHook(null);
    expect(await alice.callForStatus(`sip:nobody@${DOMAIN}`)).toBe(404);
    expect(await lastCall()).toMatchObject({ state: "failed", endStatus: 404, reason: "unknown-user" });
    expect(await alice.callForStatus(`sip:dave@${DOMAIN}`)).toBe(480);
    expect(await lastCall()).toMatchObject({ state: "failed", endStatus: 480, reason: "offline" });
  });

  it("POST /v1/calls rings alice, then bridges bob when she answers (click-to-call), media anchored", async () => {
    await setHook(null);
    const started = await stack.api<{ id: string }>(
      "POST",
      "/v1/calls",
      { to: "alice", actions: [{ action: "dial", to: "bob" }] },
      apiKey,
    );
    expect(started.status).toBe(201);
    const toAlice = await alice.nextInvitation();
    expect(toAlice.request.body).toBeFalsy(); // no SDP: alice's 200 offers (RFC 3725 flow I)
    await toAlice.accept();
    const toBob = await bob.nextInvitation();
    // bob is offered the gateway's media address, not alice's canned 49170.
    expect(toBob.request.body).toMatch(/m=audio \d+ /);
    expect(toBob.request.body).not.toMatch(/m=audio 49170 /);
    await toBob.accept();
    await sessionState(toAlice, SessionState.Established);
    await sessionState(toBob, SessionState.Established);
    await toBob.bye();
    await sessionState(toAlice, SessionState.Terminated);
    const call = await stack.api<{ state: string; origin: string; legs: unknown[] }>(
      "GET",
      `/v1/calls/${started.body.id}`,
      undefined,
      apiKey,
    );
    expect(call.body).toMatchObject({ state: "completed", origin: "api" });
    expect(call.body.legs).toHaveLength(2);
  });

  it("POST /v1/calls names the field it cannot use", async () => {
    const r = await stack.api<{ error: { message: string } }>("POST", "/v1/calls", { to: "alice" }, apiKey);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/actions/);
    const unknown = await stack.api<{ error: { message: string } }>(
      "POST",
      "/v1/calls",
      { to: "nobody", actions: [{ action: "hangup" }] },
      apiKey,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/^to: /);
  });
});
