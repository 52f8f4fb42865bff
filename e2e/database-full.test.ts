/**
 * A full disk under the data folder (SPEC §2), made reproducible with SQLite's max_page_count on a
 * real database file: API writes get 503 database_full, new calls get 503, the call in progress
 * goes on and ends normally, /readyz names the database; once space returns everything works
 * again and nothing accepted meanwhile (call records, callback events) is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState } from "sip.js";
import { fillDatabase } from "@hookline/db";
import {
  sessionState,
  startTwoPhones,
  type NodePhone,
  type Receiver,
  type Stack,
  type TwoPhones,
} from "./src/index.js";

const DOMAIN = "full.test";

describe("the database's disk fills up (a full data folder)", () => {
  let f: TwoPhones | undefined;
  let stack: Stack, alice: NodePhone, bob: NodePhone, key: string, receiver: Receiver, url: string;

  beforeAll(async () => {
    f = await startTwoPhones(DOMAIN, { options: { writeHealth: { probeIntervalMs: 50 } } });
    ({ stack, alice, bob, key, receiver, url } = f);
  });
  afterAll(async () => {
    await f?.close();
  });

  const ready = async () => {
    const res = await fetch(`http://127.0.0.1:${stack.h.ports.http}/readyz`);
    return { status: res.status, body: (await res.json()) as { failing: string[] } };
  };

  it("refuses writes and new calls with 503, lets the call up finish, and loses nothing once space returns", async () => {
    const cb = await stack.api("POST", "/v1/callbacks", { url, events: ["sip.BYE", "call.completed"] }, key);
    expect(cb.status).toBe(201);
    const inviter = alice.call(`sip:bob@${DOMAIN}`);
    const invitation = await bob.nextInvitation();
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);

    const { room } = fillDatabase(stack.sqlite);
    // The first write that needs a new page fails (here the probe, as a call's records would).
    expect(stack.sqlite.health.probe()).toBe(false);
    // Known now: writes are refused up front, even small ones that would fit; reads go on.
    const refused = await stack.api<{ error: { code: string } }>(
      "POST",
      "/v1/domains",
      { name: "x.test" },
      key,
    );
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("database_full");
    expect((await stack.api("GET", "/v1/domains", undefined, key)).status).toBe(200);
    expect(await ready()).toMatchObject({ status: 503, body: { failing: ["database"] } });
    expect(await alice.callForStatus(`sip:bob@${DOMAIN}`)).toBe(503);

    // The call in progress goes on and ends normally, its records and events kept in memory.
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);

    room();
    await receiver.until((all) => all.some((r) => r.json.type === "call.completed"));
    // Events held in memory may be delivered before the probe (every 50 ms here) sees the space.
    await expect.poll(async () => (await ready()).status).toBe(200);
    expect((await stack.api("POST", "/v1/domains", { name: "z.test" }, key)).status).toBe(201);
    const calls = await stack.api<{ data: Array<{ id: string; state: string }> }>(
      "GET",
      "/v1/calls",
      undefined,
      key,
    );
    // The refused call never became a call; the one that was up is recorded to its end.
    expect(calls.body.data.map((c) => c.state)).toEqual(["completed"]);
    const detail = await stack.api<{ messages: Array<{ method: string | null; direction: string }> }>(
      "GET",
      `/v1/calls/${calls.body.data[0]!.id}`,
      undefined,
      key,
    );
    const byes = detail.body.messages.filter((m) => m.method === "BYE").map((m) => m.direction);
    expect(byes).toEqual(["received", "sent"]);
    expect(receiver.received.map((r) => r.json.type)).toContain("sip.BYE");
    // And new calls are taken again.
    expect(await alice.callForStatus(`sip:nobody@${DOMAIN}`)).toBe(404);
  });
});
