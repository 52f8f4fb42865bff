/**
 * /metrics after a real registration and call (docs/operations.md): the operator token on the
 * HTTP port, no token on HOOKLINE_METRICS_LISTEN's address, 401 otherwise.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SessionState } from "sip.js";
import {
  sessionState,
  startTwoPhones,
  type NodePhone,
  type Receiver,
  type Stack,
  type TwoPhones,
} from "./src/index.js";

/** Waits for what a worker thread or timer does next; a bound, not a timing assertion. */
const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 15_000 });

const DOMAIN = "metrics.test";

/** `name{labels} value` lines of the Prometheus text format, by name and labels as written. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe("/metrics (Prometheus text format)", () => {
  let f: TwoPhones | undefined;
  let stack: Stack, alice: NodePhone, bob: NodePhone, receiver: Receiver;

  beforeAll(async () => {
    f = await startTwoPhones(DOMAIN, { env: { HOOKLINE_METRICS_LISTEN: "127.0.0.1:0" } });
    ({ stack, alice, bob, receiver } = f);
    await stack.api("POST", "/v1/callbacks", { url: f.url, events: ["call.completed"] }, f.key);
  });
  afterAll(async () => {
    await f?.close();
  });

  const scrape = async (token?: string) => {
    const res = await fetch(`http://127.0.0.1:${stack.h.ports.http}/metrics`, {
      ...(token !== undefined && { headers: { authorization: `Bearer ${token}` } }),
    });
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  };

  it("is 401 without the operator token (none, or a wrong one)", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("not-the-token")).status).toBe(401);
  });

  it("counts registrations, the call in progress, SIP messages, callbacks, the outbox and media", async () => {
    const inviter = alice.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);

    const during = await scrape(stack.h.operatorToken.token);
    expect(during.status).toBe(200);
    expect(during.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const m1 = parse(during.text);
    expect(m1.get("hookline_registrations")).toBe(2);
    expect(m1.get("hookline_calls_in_progress")).toBe(1);
    expect(m1.get("hookline_calls_total")).toBe(1);
    expect(m1.get("hookline_media_workers")).toBe(1);
    expect(m1.get("hookline_media_routers")).toBe(1);
    expect(m1.get("hookline_database_writable")).toBe(1);
    expect(
      m1.get('hookline_sip_messages_total{direction="received",method="REGISTER",status=""}'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      m1.get('hookline_sip_messages_total{direction="received",method="INVITE",status=""}'),
    ).toBeGreaterThanOrEqual(1);
    expect(m1.get('hookline_sip_messages_total{direction="sent",method="INVITE",status="200"}')).toBe(1);
    expect(m1.get("nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);

    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);
    await receiver.until((all) => all.some((r) => r.json.type === "call.completed"));

    // The same figures without a token on the metrics address of its own.
    const res = await fetch(`http://127.0.0.1:${stack.h.ports.metrics}/metrics`);
    expect(res.status).toBe(200);
    const m2 = parse(await res.text());
    expect(m2.get("hookline_calls_in_progress")).toBe(0);
    expect(m2.get('hookline_calls_ended_total{outcome="completed"}')).toBe(1);
    expect(m2.get('hookline_sip_messages_total{direction="received",method="BYE",status=""}')).toBe(1);
    // The delivery's outcome is committed a moment after the receiver answered.
    await waitFor(async () => {
      const m = parse((await scrape(stack.h.operatorToken.token)).text);
      expect(m.get('hookline_callback_deliveries_total{outcome="succeeded"}')).toBe(1);
      expect(m.get('hookline_callback_attempts_total{outcome="success"}')).toBe(1);
      expect(m.get("hookline_outbox_pending")).toBe(0);
      expect(m.get("hookline_outbox_oldest_age_seconds")).toBe(0);
    });
  });
});
