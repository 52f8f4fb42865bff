/**
 * SPEC §4: credentials never leave the gateway. A real sip.js call authenticates its INVITE with
 * Proxy-Authorization (RFC 3261 §22.3); the callback body and the stored trace read by the API
 * carry "[redacted]" there, and never the digest response or the nonce.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState } from "sip.js";
import { getHeaders, parseDigestCredentials, type SipRequest } from "@hookline/sip-core";
import {
  sessionState,
  startTwoPhones,
  type NodePhone,
  type Receiver,
  type Stack,
  type TwoPhones,
} from "./src/index.js";

const DOMAIN = "redact.test";

describe("credentials redaction (SPEC §4)", () => {
  let f: TwoPhones | undefined;
  let stack: Stack, alice: NodePhone, bob: NodePhone, key: string, receiver: Receiver, url: string;
  /** INVITEs as the gateway received them, before any redaction. */
  const invites: SipRequest[] = [];

  beforeAll(async () => {
    f = await startTwoPhones(DOMAIN);
    ({ stack, alice, bob, key, receiver, url } = f);
    const stackReceive = stack.h.gateway!.stack.receive.bind(stack.h.gateway!.stack);
    stack.h.gateway!.stack.receive = (result, flow) => {
      if (result.ok && result.message.kind === "request" && result.message.method === "INVITE")
        invites.push(result.message);
      stackReceive(result, flow);
    };
  });
  afterAll(async () => {
    await f?.close();
  });

  it("regression: Proxy-Authorization (digest response, nonce) leaked into sip.INVITE callbacks and the trace", async () => {
    const cb = await stack.api("POST", "/v1/callbacks", { url, events: ["sip.INVITE", "call.*"] }, key);
    expect(cb.status).toBe(201);

    const inviter = alice.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);

    // What alice really sent: the secrets that must not show up anywhere.
    const authorized = invites.find((m) => getHeaders(m, "proxy-authorization").length > 0);
    if (authorized === undefined) throw new Error("alice's INVITE carried no Proxy-Authorization");
    const creds = parseDigestCredentials(getHeaders(authorized, "proxy-authorization")[0]!);
    if (!creds.ok) throw new Error("alice's Proxy-Authorization does not parse");
    const secrets = [creds.value.response, creds.value.nonce];
    expect(secrets.every((s) => s.length >= 16)).toBe(true);

    // The callback.
    const all = await receiver.until((r) => r.some((x) => x.json.type === "call.completed"));
    const received = all.filter(
      (r) =>
        r.json.type === "sip.INVITE" &&
        (r.json.data.message as { direction: string }).direction === "received",
    );
    expect(received).toHaveLength(1);
    const headers = (received[0]!.json.data.message as { headers: Record<string, string> }).headers;
    expect(headers["proxy-authorization"]).toBe("[redacted]");
    for (const r of all) for (const s of secrets) expect(r.body).not.toContain(s);

    // The stored trace, through the API.
    const callId = received[0]!.json.data.callId;
    const call = await stack.api("GET", `/v1/calls/${callId}`, undefined, key);
    expect(call.status).toBe(200);
    const text = JSON.stringify(call.body);
    expect(text).toContain('"proxy-authorization":"[redacted]"');
    for (const s of secrets) expect(text).not.toContain(s);
    // The trace starts with the challenge the INVITE answered, its nonce redacted too.
    const trace = (
      call.body as { messages: Array<{ status: number | null; headers: Record<string, string> }> }
    ).messages;
    expect(trace[1]?.status).toBe(407);
    expect(trace[1]?.headers["proxy-authenticate"]).toContain('nonce="[redacted]"');

    // And the database files themselves.
    for (const file of readdirSync(stack.dataDir).filter((f) => f.includes(".db"))) {
      const bytes = readFileSync(path.join(stack.dataDir, file)).toString("latin1");
      for (const s of secrets) expect(bytes).not.toContain(s);
    }
  });
});
