/**
 * SPEC §4 `call.dtmf`: a digit sent as SIP INFO by either leg reaches the other leg untouched and a
 * callback once, with the leg that sent it; an INFO that carries no digit is relayed and nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState, type Session } from "sip.js";
import { sessionState, startTwoPhones, type TwoPhones } from "./src/index.js";

const DOMAIN = "dtmf-info.test";

function sendInfo(session: Session, contentType: string, content: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    session
      .info({
        requestOptions: { body: { contentDisposition: "render", contentType, content } },
        requestDelegate: {
          onAccept: (r) => resolve(r.message.statusCode ?? 0),
          onReject: (r) => resolve(r.message.statusCode ?? 0),
        },
      })
      .catch(reject);
  });
}

describe("DTMF sent as SIP INFO", () => {
  let f: TwoPhones;
  beforeAll(async () => {
    f = await startTwoPhones(DOMAIN);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("reaches the other leg and becomes one call.dtmf per digit, with the sending leg", async () => {
    const { stack, alice, bob, key, receiver, url } = f;
    const cb = await stack.api(
      "POST",
      "/v1/callbacks",
      { url, events: ["call.dtmf", "call.completed"] },
      key,
    );
    expect(cb.status).toBe(201);
    const inviter = alice.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);

    expect(await sendInfo(inviter, "application/dtmf-relay", "Signal=1\r\nDuration=160\r\n")).toBe(200);
    expect(await sendInfo(inviter, "application/json", '{"note":"not a digit"}')).toBe(200);
    expect(await sendInfo(inviter, "application/dtmf-relay", "Signal=#\r\nDuration=100\r\n")).toBe(200);
    expect(await sendInfo(invitation, "application/dtmf", "7")).toBe(200);
    // The callee got the caller's INFOs as they were sent, the one without a digit too.
    expect(bob.infos.map((i) => i.request.body)).toEqual([
      "Signal=1\r\nDuration=160\r\n",
      '{"note":"not a digit"}',
      "Signal=#\r\nDuration=100\r\n",
    ]);
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);

    const all = await receiver.until((r) => r.some((x) => x.json.type === "call.completed"));
    const digits = all
      .filter((r) => r.json.type === "call.dtmf")
      .map((r) => (r.json as unknown as { data: { dtmf: Record<string, unknown>; seq: number } }).data);
    expect(digits.map((d) => [d.dtmf.digit, d.dtmf.durationMs, d.dtmf.method])).toEqual([
      ["1", 160, "info"],
      ["#", 100, "info"],
      ["7", null, "info"],
    ]);
    // The caller's digits name the caller's leg, the callee's the callee's.
    expect(digits[0]!.dtmf.legId).toBe(digits[1]!.dtmf.legId);
    expect(digits[2]!.dtmf.legId).not.toBe(digits[0]!.dtmf.legId);
    const calls = await stack.api<{ data: Array<{ id: string }> }>("GET", "/v1/calls", undefined, key);
    const detail = await stack.api<{ legs: Array<{ id: string; direction: string }> }>(
      "GET",
      `/v1/calls/${calls.body.data[0]!.id}`,
      undefined,
      key,
    );
    const legOf = (direction: string) => detail.body.legs.find((l) => l.direction === direction)?.id;
    expect(digits[0]!.dtmf.legId).toBe(legOf("inbound"));
    expect(digits[2]!.dtmf.legId).toBe(legOf("outbound"));
  });
});
