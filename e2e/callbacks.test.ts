/**
 * SPEC §4 through the whole platform: a sip.js call through the gateway produces signed callbacks
 * at a real HTTP receiver, in `seq` order, for account-wide, per-call and in-SIP registrations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState } from "sip.js";
import { Webhook } from "standardwebhooks";
import {
  sessionState,
  startTwoPhones,
  type NodePhone,
  Receiver,
  type Received,
  type Stack,
  type TwoPhones,
} from "./src/index.js";

const DOMAIN = "hooks.test";

describe("callbacks from a real call (SPEC §4)", () => {
  let f: TwoPhones | undefined;
  let stack: Stack, alice: NodePhone, bob: NodePhone, key: string, receiver: Receiver, url: string;

  beforeAll(async () => {
    f = await startTwoPhones(DOMAIN);
    ({ stack, alice, bob, key, receiver, url } = f);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("delivers INVITE, 180, 200, ACK, BYE and call.* in seq order, signed, with the caller's X- headers", async () => {
    const cb = await stack.api<{ id: string; secret: string }>(
      "POST",
      "/v1/callbacks",
      { url, events: ["sip.INVITE", "sip.180", "sip.200", "sip.ACK", "sip.BYE", "call.*"] },
      key,
    );
    expect(cb.status).toBe(201);

    const inviter = alice.call(`sip:bob@${DOMAIN}`, ["X-Customer: 42"]);
    const invitation = await bob.nextInvitation();
    await invitation.progress();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);

    const all = await receiver.until((r) => r.some((x) => x.json.type === "call.completed"));
    const callId = all[0]!.json.data.callId;
    const mine = all.filter((r) => r.json.data.callId === callId);
    const types = mine.map((r) => r.json.type);
    for (const t of [
      "call.initiated",
      "sip.INVITE",
      "sip.180",
      "call.ringing",
      "sip.200",
      "call.answered",
      "sip.ACK",
      "sip.BYE",
      "call.completed",
    ]) {
      expect(types).toContain(t);
    }
    // One call's events reach one URL in order.
    const seqs = mine.map((r) => r.json.data.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    const invite = mine.find((r) => r.json.type === "sip.INVITE" && message(r).direction === "received")!;
    expect(message(invite).headers["x-customer"]).toBe("42");
    expect(message(invite).requestUri).toBe(`sip:bob@${DOMAIN}`);

    const wh = new Webhook(cb.body.secret);
    for (const r of mine) expect(() => wh.verify(r.body, r.headers)).not.toThrow();
    expect(new Set(mine.map((r) => r.headers["webhook-id"])).size).toBe(mine.length);
  });

  it("registers a callback for one call through the API and one inside the INVITE with a token", async () => {
    const perCall = new Receiver();
    const inSip = new Receiver();
    const perCallUrl = await perCall.listen();
    const inSipUrl = await inSip.listen();
    try {
      const token = await stack.api<{ token: string }>(
        "POST",
        "/v1/tokens",
        { ttl: 60, callbackHosts: [new URL(inSipUrl).host] },
        key,
      );
      expect(token.status).toBe(201);
      const inviter = alice.call(`sip:bob@${DOMAIN}`, [
        `X-Hookline-Callback: <${inSipUrl}>;events="sip.BYE,sip.INFO"`,
        `X-Hookline-Token: ${token.body.token}`,
      ]);
      const invitation = await bob.nextInvitation();
      // Hookline's own headers never reach the callee.
      expect(invitation.request.getHeader("X-Hookline-Callback")).toBeUndefined();
      expect(invitation.request.getHeader("X-Hookline-Token")).toBeUndefined();
      await invitation.accept();
      await sessionState(inviter, SessionState.Established);

      const calls = await stack.api<{ data: Array<{ id: string; state: string }> }>(
        "GET",
        "/v1/calls",
        undefined,
        key,
      );
      const live = calls.body.data.find((c) => c.state === "answered")!;
      const reg = await stack.api(
        "POST",
        `/v1/calls/${live.id}/callbacks`,
        { url: perCallUrl, events: ["sip.BYE"] },
        key,
      );
      expect(reg.status).toBe(201);

      await new Promise<void>((resolve, reject) => {
        inviter
          .info({
            requestOptions: {
              body: {
                contentDisposition: "render",
                contentType: "application/dtmf-relay",
                content: "Signal=1\r\nDuration=100\r\n",
              },
            },
            requestDelegate: { onAccept: () => resolve() },
          })
          .catch(reject);
      });
      await inviter.bye();
      await sessionState(invitation, SessionState.Terminated);

      const got = await inSip.until(
        (r) => r.some((x) => x.json.type === "sip.BYE") && r.some((x) => x.json.type === "sip.INFO"),
      );
      expect(new Set(got.map((r) => r.json.type))).toEqual(new Set(["sip.BYE", "sip.INFO"]));
      expect(new Set(got.map((r) => r.json.data.callId))).toEqual(new Set([live.id]));
      const byes = await perCall.until((r) => r.some((x) => x.json.type === "sip.BYE"));
      expect(byes.every((r) => r.json.type === "sip.BYE" && r.json.data.callId === live.id)).toBe(true);
    } finally {
      await perCall.close();
      await inSip.close();
    }
  });

  it("registers nothing for an INVITE whose token is forged", async () => {
    const inSip = new Receiver();
    const inSipUrl = await inSip.listen();
    try {
      const inviter = alice.call(`sip:bob@${DOMAIN}`, [
        `X-Hookline-Callback: <${inSipUrl}>;events="sip.*"`,
        "X-Hookline-Token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA",
      ]);
      const invitation = await bob.nextInvitation();
      await invitation.reject({ statusCode: 486 });
      await sessionState(inviter, SessionState.Terminated);
      // The account-wide callback proves events of this call were published and delivered...
      await receiver.until((r) => r.filter((x) => x.json.type === "call.failed").length >= 1);
      // ...while nothing reached the URL of the forged registration.
      expect(inSip.received).toHaveLength(0);
    } finally {
      await inSip.close();
    }
  });
});

function message(r: Received): { direction: string; requestUri: string; headers: Record<string, string> } {
  return r.json.data.message as never;
}
