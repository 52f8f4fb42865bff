/**
 * The trunk guards wired into the running gateway (SPEC §3 trunks, §4 `trunk.*`, §5 "every call is
 * recorded"): a sip.js caller's call is dialled by a real node:http application to `{number,
 * trunk}`; the carriers are real UDP SIP servers on 127.0.0.1 that answer OPTIONS and ring (or
 * refuse) INVITEs. Toll-fraud limits refuse with 403 or 503 + Retry-After (RFC 3261 §20.33) and
 * the call is recorded with the guard's reason; a target that stops answering OPTIONS goes down
 * (`trunk.down` to a real callback receiver), calls skip it, and it comes back (`trunk.up`).
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inviter, SessionState, UserAgent } from "sip.js";
import { callLegs, calls, eq, newId } from "@hookline/db";
import {
  createResponse,
  generateTag,
  getHeader,
  parseMessage,
  serializeMessage,
  type SipRequest,
} from "@hookline/sip-core";
import { App } from "./src/application-app.js";
import { NodePhone, Receiver, sessionState, startStack, type Stack } from "./src/index.js";

/**
 * A carrier's SIP server: while `answering`, OPTIONS get 200 and INVITEs ring (180) or get 486;
 * every INVITE is counted, answered or not.
 */
class Carrier {
  readonly socket = dgram.createSocket("udp4");
  answering = true;
  invite: "ring" | "busy" = "ring";
  readonly invites: SipRequest[] = [];
  readonly #pending = new Map<string, { req: SipRequest; tag: string; rinfo: dgram.RemoteInfo }>();
  port = 0;

  async listen(): Promise<this> {
    this.socket.on("message", (data, rinfo) => {
      const r = parseMessage(data);
      if (!r.ok || r.message.kind !== "request") return;
      const req = r.message;
      const send = (status: number, reason: string, to: SipRequest, tag: string) =>
        this.socket.send(
          serializeMessage(createResponse(to, status, reason, { toTag: tag })),
          rinfo.port,
          rinfo.address,
        );
      const callId = getHeader(req, "call-id") ?? "";
      if (req.method === "OPTIONS") {
        if (this.answering) send(200, "OK", req, generateTag());
      } else if (req.method === "INVITE") {
        this.invites.push(req);
        if (!this.answering) return;
        const tag = generateTag();
        if (this.invite === "busy") return send(486, "Busy Here", req, tag);
        this.#pending.set(callId, { req, tag, rinfo });
        send(180, "Ringing", req, tag);
      } else if (req.method === "CANCEL") {
        send(200, "OK", req, generateTag());
        const p = this.#pending.get(callId);
        this.#pending.delete(callId);
        if (p) send(487, "Request Terminated", p.req, p.tag);
      }
    });
    await new Promise<void>((resolve) => this.socket.bind(0, "127.0.0.1", resolve));
    this.port = this.socket.address().port;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

const DOMAIN = "trunk-guards.test";
const OTHER = "trunk-guards-2.test";

/** Waits for `pred`, polling; the deadline only bounds a failing test. */
async function until<T>(read: () => Promise<T> | T, pred: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (pred(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not reached: ${what}`);
}

describe("trunk guards in the running gateway", () => {
  let stack: Stack, app: App, receiver: Receiver;
  let alice: NodePhone, bob: NodePhone;
  let apiKey: string, accountId: string, otherKey: string, otherAccount: string;
  const carriers: Carrier[] = [];
  /** The trunk each dialled number goes out through (the application's choice). */
  const trunkOf: Record<string, string> = {};
  /** Numbers dialled as one target of a list (`[{number, trunk}, "nobody"]`). */
  const asList = new Set<string>();

  const carrier = async () => {
    const c = await new Carrier().listen();
    carriers.push(c);
    return c;
  };
  const trunk = async (key: string, name: string, targets: Carrier[], fraudLimits: object = {}) => {
    const r = await stack.api<{ id: string }>(
      "POST",
      "/v1/trunks",
      {
        name,
        outbound: { targets: targets.map((c, i) => ({ host: "127.0.0.1", port: c.port, priority: i })) },
        fraudLimits,
      },
      key,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id;
  };

  beforeAll(async () => {
    app = new App();
    const url = await app.listen();
    app.routes["/app"] = (a, res) => {
      const number = /^sip:([^@]+)@/.exec(String(a.json.data.to))?.[1] ?? "";
      const one = { number, trunk: trunkOf[number] };
      // A list of targets takes another path through the router: the guard must hold there too.
      const to = asList.has(number) ? [one, "nobody"] : one;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ actions: [{ action: "dial", to }] }));
    };
    receiver = new Receiver();
    stack = await startStack(
      {},
      {
        // Short for the test, with room for a slow machine: a false timeout needs two in a row.
        trunkHealth: {
          intervalMs: 300,
          timeoutMs: 250,
          failuresBeforeDown: 2,
          successesBeforeUp: 2,
          syncMs: 100,
        },
      },
    );
    let domainId: string;
    ({ apiKey, accountId, domainId } = await stack.tenant(DOMAIN, ["alice"]));
    const other = await stack.tenant(OTHER, ["bob"]);
    otherKey = other.apiKey;
    otherAccount = other.accountId;
    for (const [key, id] of [
      [apiKey, domainId],
      [otherKey, other.domainId],
    ] as const) {
      const r = await stack.api("PATCH", `/v1/domains/${id}`, { applicationUrl: `${url}/app` }, key);
      expect(r.status).toBe(200);
    }
    alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain: DOMAIN });
    bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain: OTHER });
  });
  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await stack?.close();
    await app?.close();
    await receiver?.close();
    for (const c of carriers) await c.close();
  });

  /** Calls a number; resolves with the final status and its Retry-After once refused. */
  const refusal = (phone: NodePhone, domain: string, number: string) => {
    const inviter = new Inviter(phone.ua, UserAgent.makeURI(`sip:${number}@${domain}`)!);
    return new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final response calling ${number}`)), 15_000);
      void inviter
        .invite({
          requestDelegate: {
            onAccept: () => {
              clearTimeout(timer);
              resolve({ status: 200, retryAfter: undefined });
            },
            onReject: (r) => {
              clearTimeout(timer);
              resolve({ status: r.message.statusCode ?? 0, retryAfter: r.message.getHeader("Retry-After") });
            },
          },
        })
        .catch(reject);
    });
  };

  /** The call to `number` as the API records it, once it has ended. */
  const recorded = async (key: string, number: string) => {
    const r = await until(
      () =>
        stack.api<{ data: Array<{ to: string; state: string; reason: string | null }> }>(
          "GET",
          "/v1/calls",
          undefined,
          key,
        ),
      (r) =>
        r.body.data.some((c) => c.to.includes(number) && (c.state === "failed" || c.state === "completed")),
      `a recorded end for ${number}`,
    );
    return r.body.data.find((c) => c.to.includes(number))!;
  };

  /** A ringing call out through a trunk, held until `cancel()`. */
  const ringing = async (phone: NodePhone, domain: string, number: string, at: Carrier) => {
    const before = at.invites.length;
    const inviter = phone.call(`sip:${number}@${domain}`);
    await until(
      () => at.invites.length,
      (n) => n > before,
      `the carrier rung for ${number}`,
    );
    return {
      cancel: async () => {
        await inviter.cancel();
        await sessionState(inviter, SessionState.Terminated);
      },
    };
  };

  it("a trunk limited to one call lets the first through and refuses the second with 503 + Retry-After, recorded", async () => {
    const c = await carrier();
    await trunk(apiKey, "carrier-one", [c], { maxConcurrentCalls: 1 });
    trunkOf["+15550100001"] = "carrier-one";
    trunkOf["+15550100002"] = "carrier-one";
    const first = await ringing(alice, DOMAIN, "+15550100001", c);
    const second = await refusal(alice, DOMAIN, "+15550100002");
    expect(second.status).toBe(503);
    expect(second.retryAfter).toBe("5");
    expect(c.invites).toHaveLength(1);
    trunkOf["+15550100004"] = "carrier-one";
    asList.add("+15550100004");
    // Refused as one target of a list, the call ends the same way: 503, Retry-After, the reason.
    expect(await refusal(alice, DOMAIN, "+15550100004")).toEqual({ status: 503, retryAfter: "5" });
    expect(c.invites).toHaveLength(1);
    expect(await recorded(apiKey, "+15550100004")).toMatchObject({
      state: "failed",
      reason: "concurrent calls of trunk carrier-one at the limit (1)",
    });
    const row = await recorded(apiKey, "+15550100002");
    expect(row).toMatchObject({
      state: "failed",
      reason: "concurrent calls of trunk carrier-one at the limit (1)",
    });
    await first.cancel();
    // The first call's end frees the slot: the next call rings the carrier again.
    await recorded(apiKey, "+15550100001");
    trunkOf["+15550100003"] = "carrier-one";
    const third = await ringing(alice, DOMAIN, "+15550100003", c);
    expect(c.invites).toHaveLength(2);
    await third.cancel();
  });

  it("a denied destination prefix is refused with 403 and recorded with the reason", async () => {
    const c = await carrier();
    await trunk(apiKey, "carrier-deny", [c], { deniedPrefixes: ["+1900"] });
    trunkOf["+19005550100"] = "carrier-deny";
    const r = await refusal(alice, DOMAIN, "+19005550100");
    expect(r).toEqual({ status: 403, retryAfter: undefined });
    expect(c.invites).toHaveLength(0);
    expect(await recorded(apiKey, "+19005550100")).toMatchObject({
      state: "failed",
      reason: "destination +19005550100 denied by trunk carrier-deny (prefix +1900)",
    });
    // Beside an unknown user (404) in a list, the refusal still decides how the call ends.
    trunkOf["+19005550101"] = "carrier-deny";
    asList.add("+19005550101");
    expect((await refusal(alice, DOMAIN, "+19005550101")).status).toBe(403);
    expect(await recorded(apiKey, "+19005550101")).toMatchObject({
      state: "failed",
      reason: "destination +19005550101 denied by trunk carrier-deny (prefix +1900)",
    });
  });

  it("an account-level limit applies across the account's trunks", async () => {
    const limits = await stack.api("PATCH", `/v1/accounts/${otherAccount}`, {
      fraudLimits: { maxConcurrentCalls: 1 },
    });
    expect(limits.status).toBe(200);
    const a = await carrier();
    const b = await carrier();
    await trunk(otherKey, "carrier-x", [a]);
    await trunk(otherKey, "carrier-y", [b]);
    trunkOf["+15550200001"] = "carrier-x";
    trunkOf["+15550200002"] = "carrier-y";
    const first = await ringing(bob, OTHER, "+15550200001", a);
    const second = await refusal(bob, OTHER, "+15550200002");
    expect(second.status).toBe(503);
    expect(b.invites).toHaveLength(0);
    expect((await recorded(otherKey, "+15550200002")).reason).toBe(
      `concurrent calls of account ${OTHER} at the limit (1)`,
    );
    await first.cancel();
  });

  it("the daily minutes cap counts ended trunk calls from the calls table and refuses at the cap", async () => {
    const under = await carrier();
    const at = await carrier();
    under.invite = "busy";
    const underId = await trunk(apiKey, "carrier-under", [under], { dailyOutboundMinutes: 5 });
    const atId = await trunk(apiKey, "carrier-at", [at], { dailyOutboundMinutes: 5 });
    // Calls that ended today before this process saw them (a restart): 4 and 5 minutes.
    const { db } = stack.sqlite;
    const now = Date.now();
    for (const [trunkId, minutes] of [
      [underId, 4],
      [atId, 5],
    ] as const) {
      const callId = newId("call");
      const answeredAt = now - minutes * 60_000 - 1000;
      db.insert(calls)
        .values({
          id: callId,
          accountId,
          sipCallId: `${callId}@seed`,
          from: "sip:alice@x",
          to: "sip:+15550300000@x",
          state: "completed",
          startedAt: answeredAt - 1000,
          answeredAt,
          endedAt: now - 1000,
        })
        .run();
      db.insert(callLegs)
        .values({
          id: newId("leg"),
          callId,
          direction: "outbound",
          sipCallId: `${callId}@trunk`,
          remoteUri: "sip:+15550300000@127.0.0.1",
          transport: "udp",
          trunkId,
          state: "terminated",
          createdAt: answeredAt - 1000,
          answeredAt,
          endedAt: now - 1000,
        })
        .run();
    }
    trunkOf["+15550300001"] = "carrier-under";
    trunkOf["+15550300002"] = "carrier-at";
    // Under the cap: the call goes out (and the carrier is busy).
    expect((await refusal(alice, DOMAIN, "+15550300001")).status).toBe(486);
    expect(under.invites).toHaveLength(1);
    // The leg that went out records its trunk: that is what the cap is rebuilt from.
    await stack.h.flushCallRecords();
    const legs = db.select().from(callLegs).where(eq(callLegs.trunkId, underId)).all();
    expect(legs.map((l) => l.remoteUri).sort()).toEqual([
      "sip:+15550300000@127.0.0.1",
      `sip:+15550300001@127.0.0.1:${under.port}`,
    ]);
    // At the cap: refused before the carrier hears of it.
    const r = await refusal(alice, DOMAIN, "+15550300002");
    expect(r.status).toBe(403);
    expect(at.invites).toHaveLength(0);
    expect((await recorded(apiKey, "+15550300002")).reason).toBe(
      "daily outbound minutes of trunk carrier-at used up (5 of 5)",
    );
  });

  it("a target that stops answering OPTIONS goes down (trunk.down), calls skip it, then it is up again (trunk.up)", async () => {
    const url = await receiver.listen();
    const cb = await stack.api("POST", "/v1/callbacks", { url, events: ["trunk.*"] }, apiKey);
    expect(cb.status).toBe(201);
    const first = await carrier();
    const second = await carrier();
    second.invite = "busy";
    // Created through the API after the server started: the monitor picks it up by itself.
    const id = await trunk(apiKey, "carrier-h", [first, second]);
    type Health = {
      state: string;
      targets: Array<{ port: number; state: string; lastError: string | null }>;
    };
    const health = () => stack.api<{ health: Health }>("GET", `/v1/trunks/${id}`, undefined, apiKey);
    await until(health, (r) => r.body.health.targets.every((t) => t.state === "up"), "both targets up");

    first.answering = false;
    const down = await receiver.until((all) => all.some((x) => x.json.type === "trunk.down"));
    expect(down.find((x) => x.json.type === "trunk.down")!.json.data).toMatchObject({
      trunk: { id, name: "carrier-h", target: { port: first.port }, state: "down", lastError: "timeout" },
    });
    const shown = (await health()).body.health;
    expect(shown.state).toBe("up");
    expect(shown.targets.find((t) => t.port === first.port)).toMatchObject({
      state: "down",
      lastError: "timeout",
    });

    // The down target is skipped: the INVITE goes straight to the second.
    trunkOf["+15550400001"] = "carrier-h";
    const r = await refusal(alice, DOMAIN, "+15550400001");
    expect(r.status).toBe(486);
    expect(first.invites).toHaveLength(0);
    expect(second.invites).toHaveLength(1);

    first.answering = true;
    const all = await receiver.until((x) => x.some((e) => e.json.type === "trunk.up"));
    expect(all.map((e) => e.json.type)).toEqual(["trunk.down", "trunk.up"]);
    await until(health, (h) => h.body.health.targets.every((t) => t.state === "up"), "up again in the API");
  });
});
