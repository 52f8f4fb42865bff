/**
 * The whole of Hookline on PostgreSQL (SPEC §2, `HOOKLINE_DATABASE_URL=postgres://`;
 * docs/scale-out.md): two Chromium softphones register and call each other through the gateway,
 * the audio flows both ways through mediasoup, and the call's records and callbacks are in the
 * shared database. A real throwaway PostgreSQL (or HOOKLINE_TEST_POSTGRES_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "@hookline/db";
import { openPostgres, pgSchema, type OpenedPostgres } from "@hookline/db/pg";
import { freshPostgresDatabase, stopPostgres } from "@hookline/db/testing/stores";
import { Receiver, startStack, type Stack } from "../src/index.js";
import { launchChromium, SoftphonePage, type Browser } from "./chromium.js";

const DOMAIN = "postgres.test";

describe("a call through a gateway on PostgreSQL", () => {
  let stack: Stack;
  let browser: Browser;
  let alice: SoftphonePage;
  let bob: SoftphonePage;
  let pg: OpenedPostgres;
  const receiver = new Receiver();

  beforeAll(async () => {
    const url = await freshPostgresDatabase();
    pg = await openPostgres({ url, max: 2 });
    const hooks = await receiver.listen();
    stack = await startStack({ HOOKLINE_DATABASE_URL: url });
    const { apiKey } = await stack.tenant(DOMAIN, ["alice", "bob"]);
    const cb = await stack.api(
      "POST",
      "/v1/callbacks",
      { url: hooks, events: ["call.initiated", "call.answered", "call.completed"] },
      apiKey,
    );
    expect(cb.status).toBe(201);
    browser = await launchChromium();
    const http = `http://127.0.0.1:${stack.h.ports.http}`;
    alice = await SoftphonePage.open(browser.context, http);
    bob = await SoftphonePage.open(browser.context, http);
    // The domain and users were written through the API a moment ago: the gateway knows them
    // from its directory mirror, kept current by NOTIFY.
    await alice.register(stack.wsUrl, "alice", DOMAIN, "alice-secret");
    await bob.register(stack.wsUrl, "bob", DOMAIN, "bob-secret");
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await receiver.close();
    await pg?.close();
    await stopPostgres();
  }, 60_000);

  it("registers both, carries audio both ways, and records the call and its callbacks in PostgreSQL", async () => {
    expect(stack.h.database.dialect).toBe("postgres");
    const bindings = await pg.db.select().from(pgSchema.registrations);
    expect(bindings.map((b) => b.aor).sort()).toEqual([`sip:alice@${DOMAIN}`, `sip:bob@${DOMAIN}`]);

    await alice.call(`sip:bob@${DOMAIN}`);
    await expect.poll(async () => (await bob.state()).incoming, { timeout: 15_000 }).toBe(true);
    await bob.answer();
    await expect.poll(async () => (await alice.state()).established, { timeout: 15_000 }).toBe(true);
    for (const phone of [alice, bob]) await phone.hearsAudio();
    await alice.hangup();
    await expect.poll(async () => (await bob.state()).ended, { timeout: 10_000 }).toBe(1);

    const { calls, callMessages } = pgSchema;
    await expect
      .poll(async () => (await pg.db.select().from(calls))[0]?.state, { timeout: 15_000 })
      .toBe("completed");
    const [row] = await pg.db.select().from(calls);
    expect(row).toMatchObject({ from: expect.stringContaining("alice"), nodeId: stack.h.config.nodeId });
    const trace = await pg.db.select().from(callMessages).where(eq(callMessages.callId, row!.id));
    expect(trace.map((m) => m.method ?? m.status)).toEqual(expect.arrayContaining(["INVITE", 200, "BYE"]));

    const got = await receiver.until((all) => all.length >= 3);
    expect(got.map((r) => r.json.type)).toEqual(["call.initiated", "call.answered", "call.completed"]);
    const seqs = got.map((r) => r.json.data.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });
});
