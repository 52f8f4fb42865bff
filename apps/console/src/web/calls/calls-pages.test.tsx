/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCallbackEngine, silentLogger } from "@hookline/callbacks";
import type { SqliteCallStore } from "@hookline/db";
import { sqliteHarness, type SqliteHarness } from "../../test-helpers.js";
import type { WebUser } from "../layout.js";
import { SDP, T0, end, message, pagesFor, recordFullCall, startCall, storeFor } from "./test-calls.js";

let h: SqliteHarness;
let store: SqliteCallStore;
let alice: WebUser;
let mallory: WebUser;
let aliceKey: string;
beforeEach(async () => {
  h = await sqliteHarness({ callbackAllowlist: "127.0.0.1" });
  store = storeFor(h.database.db);
  const acme = await h.newAccount("Acme");
  aliceKey = acme.apiKey;
  alice = { userId: "u1", accountId: acme.id, email: "ops@acme.test" };
  mallory = { userId: "u2", accountId: (await h.newAccount("Other")).id, email: "m@other.test" };
});
afterEach(async () => {
  store.close();
  await h.close();
});

const get = async (user: WebUser, path: string) => {
  const res = await pagesFor(h.database.db, store, user).request(path);
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") ?? "" };
};

/** The ladder's arrows, in drawing order: label and whether it points right (x2 > x1). */
function arrows(html: string) {
  const out: Array<{ label: string; right: boolean; x1: number; x2: number }> = [];
  for (const m of html.matchAll(/<a href="#e-[^"]+" class="arrow"[^>]*>(.*?)<\/a>/gs)) {
    const body = m[1] ?? "";
    const x1 = Number(/x1="([\d.]+)"/.exec(body)?.[1]);
    const x2 = Number(/x2="([\d.]+)"/.exec(body)?.[1]);
    const labels = [...body.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]);
    out.push({ label: labels[1] ?? "", right: x2 > x1, x1, x2 });
  }
  return out;
}

describe("the calls list", () => {
  it("filters by state, user, who started it and time, includes failed calls, and pages by cursor", async () => {
    for (let i = 0; i < 3; i++) recordFullCall(store, alice.accountId, T0 + i * 60_000);
    const failed = startCall(store, alice.accountId, { to: "sip:carol@acme.test", startedAt: T0 + 500_000 });
    end(store, failed, "failed", T0 + 500_000, 480, "Temporarily Unavailable");
    startCall(store, alice.accountId, { from: "sip:dave@acme.test", startedAt: T0 + 600_000, origin: "api" });

    const all = await get(alice, "/calls");
    expect(all.status).toBe(200);
    expect(all.text.match(/<tr>/g)).toHaveLength(6); // header + 5 calls
    expect(all.text).toContain("480 Temporarily Unavailable");
    expect(all.text).toContain("1:05"); // talk time of the completed calls

    const failedOnly = await get(alice, "/calls?state=failed");
    expect(failedOnly.text).toContain(`/calls/${failed.id}`);
    expect(failedOnly.text.match(/<tr>/g)).toHaveLength(2);

    const carol = await get(alice, "/calls?user=carol");
    expect(carol.text).toContain(`/calls/${failed.id}`);
    expect(carol.text.match(/<tr>/g)).toHaveLength(2);

    const api = await get(alice, "/calls?origin=api");
    expect(api.text).toContain("sip:dave@acme.test");
    expect(api.text.match(/<tr>/g)).toHaveLength(2);

    // 10:00 to 10:02 (UTC): the first two calls only.
    const window = await get(alice, "/calls?since=2026-03-01T10:00&until=2026-03-01T10:02");
    expect(window.text.match(/<tr>/g)).toHaveLength(3);

    // Pages of two, newest first, each call once.
    const seen: string[] = [];
    let path: string | undefined = "/calls?limit=2";
    while (path !== undefined) {
      const page = await get(alice, path);
      seen.push(...[...page.text.matchAll(/href="\/calls\/(call_[^"]+)"/g)].map((m) => m[1] ?? ""));
      const next = /href="([^"]+)" rel="next"/.exec(page.text)?.[1];
      path = next?.replace(/&amp;/g, "&");
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen[0]).not.toBe(seen[4]);
  });

  it("shows a bad filter next to its field, and says what to do when there are no calls", async () => {
    const bad = await get(alice, "/calls?state=ringingg&since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id="state-error"');
    expect(bad.text).toContain("unknown state &quot;ringingg&quot;");
    expect(bad.text).toContain('id="since-error"');
    const empty = await get(alice, "/calls");
    expect(empty.text).toContain("No calls yet");
  });
});

describe("account isolation", () => {
  it("never shows another account's call: 404 for the page, the export and the live stream", async () => {
    const call = recordFullCall(store, alice.accountId);
    expect((await get(alice, `/calls/${call.id}`)).status).toBe(200);
    for (const path of [`/calls/${call.id}`, `/calls/${call.id}/trace.txt`, `/calls/${call.id}/events`]) {
      const res = await get(mallory, path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain("alice");
    }
    expect((await get(mallory, "/calls")).text).not.toContain(call.id);
  });

  it("is mounted in the console app behind the sign-in: without a session, the sign-in page and no call data", async () => {
    const call = recordFullCall(store, alice.accountId);
    store.flush();
    for (const path of ["/calls", `/calls/${call.id}`, `/calls/${call.id}/trace.txt`]) {
      const res = await h.app.request(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location"), path).toMatch(/^\/sign-in/);
      expect(await res.text(), path).not.toContain(call.id);
    }
  });
});

describe("the call page", () => {
  it("draws one arrow per message in order, each leg on its side of Hookline, and links each to its message", async () => {
    const call = recordFullCall(store, alice.accountId);
    const page = await get(alice, `/calls/${call.id}`);
    expect(page.status).toBe(200);
    const drawn = arrows(page.text);
    expect(drawn.map((a) => a.label)).toEqual([
      "INVITE",
      "407 Proxy Authentication Required",
      "ACK",
      "INVITE",
      "100 Trying",
      "INVITE",
      "180 Ringing",
      "180 Ringing",
      "200 OK",
      "200 OK",
      "ACK",
      "ACK",
      "BYE",
      "BYE",
      "200 OK",
      "200 OK",
    ]);
    // Caller | Hookline | callee: leg A's requests point right (into Hookline), its responses left;
    // leg B is right of Hookline, so the forwarded INVITE points right too, its answers left.
    const [invite, auth, , , , forwarded, ringing] = drawn;
    expect(invite!.right).toBe(true);
    expect(auth!.right).toBe(false);
    expect(forwarded!.right).toBe(true);
    expect(forwarded!.x1).toBe(invite!.x2);
    expect(ringing!.right).toBe(false);
    expect(page.text).toContain("Caller (leg A)");
    expect(page.text).toContain("Callee (leg B)");
    // Every arrow's target exists, holding the whole message with its SDP.
    for (const m of page.text.matchAll(/<a href="#(e-\d+)" class="arrow"/g)) {
      expect(page.text).toContain(`<details id="${m[1]}">`);
    }
    expect(page.text).toContain("m=audio 40002 RTP/AVP 0 101");
    expect(page.text).toContain("Proxy-Authorization: [redacted]");
    expect(page.text).not.toContain("secret-hash");
  });

  it("exports the trace as text: time, direction, leg, transport and address, then the message", async () => {
    const call = recordFullCall(store, alice.accountId);
    const res = await get(alice, `/calls/${call.id}/trace.txt`);
    expect(res.status).toBe(200);
    expect(res.type).toContain("text/plain");
    const text = res.text;
    expect(text).toContain(
      "===== #1  2026-03-01T10:00:00.010Z (+0.010s)  received from ws 127.0.0.1:50001  leg A =====\n" +
        "INVITE sip:bob@acme.test SIP/2.0\nVia: SIP/2.0/WSS 127.0.0.1:50001;branch=z9hG4bK1\n",
    );
    expect(text).toContain("sent to ws 127.0.0.1:50002  leg B =====\nINVITE sip:bob@acme.test SIP/2.0");
    expect(text).toContain("Content-Type: application/sdp\n\n" + SDP.replace(/\r\n/g, "\n").trimEnd());
    expect(text).toContain("Proxy-Authorization: [redacted]");
    expect(text).not.toContain("secret-hash");
    expect(text.match(/^===== #/gm)).toHaveLength(16);
  });

  it("keeps an SDP up to 16 KiB whole on the page and in the API, and says when a larger body was cut", async () => {
    const call = startCall(store, alice.accountId);
    const big = SDP + "a=fmtp:96 x\r\n".repeat(1200); // ~15.7 KB: under the limit
    const huge = "a=x\r\n".repeat(5000); // 25,000 bytes: cut to 16 KiB
    message(store, call, { leg: "A", dir: "received", method: "INVITE" }, { body: big });
    message(store, call, { leg: "A", dir: "received", method: "INFO" }, { body: huge });
    const page = await get(alice, `/calls/${call.id}`);
    expect(page.text).toContain(big);
    expect(page.text).toContain("body cut: first 16384 of 25000 bytes kept");
    // The REST API reads the same rows: GET /v1/calls/:id carries the bodies.
    const api = await h.call("GET", `/v1/calls/${call.id}`, aliceKey);
    expect(api.status).toBe(200);
    expect(api.body.messages.map((m: { body: string }) => m.body.length)).toEqual([big.length, 16384]);
    expect(api.body.messages[1].bodySize).toBe(25000);
  });
});

describe("hooks and deliveries on the call's timeline", () => {
  it("draws the application hook and the callback deliveries the call caused, in seq order", async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200).end("ok"));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    const engine = createCallbackEngine({
      db: h.database.db,
      allowlist: "127.0.0.1",
      logger: silentLogger,
      pollIntervalMs: 10,
    });
    try {
      expect((await h.call("POST", "/v1/callbacks", aliceKey, { url, events: ["call.*"] })).status).toBe(201);
      engine.start();
      const call = startCall(store, alice.accountId);
      message(store, call, { leg: "A", dir: "received", method: "INVITE" });
      store.insertHook({
        callId: call.id,
        seq: ++call.seq,
        at: T0 + 30,
        kind: "application",
        eventType: "call.incoming",
        url: "https://app.acme.test/voice",
        status: 200,
        latencyMs: 12,
        actions: [{ action: "reject", status: 486 }],
        error: null,
      });
      const seq = ++call.seq;
      end(store, call, "failed", T0, 486, "Busy Here");
      const { deliveryIds } = await engine.accept({
        type: "call.failed",
        timestamp: new Date(T0 + 40).toISOString(),
        data: {
          accountId: alice.accountId,
          callId: call.id,
          seq,
          call: { id: call.id, state: "failed", from: "a", to: "b", startedAt: "" },
        },
      });
      expect(deliveryIds).toHaveLength(1);
      for (let i = 0; ; i++) {
        const d = await h.call("GET", `/v1/deliveries/${deliveryIds[0]}`, aliceKey);
        if (d.body.status === "succeeded") break;
        if (i > 500) throw new Error("delivery never succeeded");
        await new Promise((r) => setTimeout(r, 10));
      }
      const page = await get(alice, `/calls/${call.id}`);
      expect(page.text).toContain("Your application");
      expect(arrows(page.text).map((a) => a.label)).toEqual([
        "INVITE",
        "call.incoming → 200",
        "call.failed → 200",
      ]);
      expect(page.text).toContain("https://app.acme.test/voice");
      expect(page.text).toContain(`<code>${deliveryIds[0]}</code>`);
      const text = (await get(alice, `/calls/${call.id}/trace.txt`)).text;
      expect(text).toContain("POST https://app.acme.test/voice  call.incoming");
      expect(text).toContain("call.failed: succeeded after 1 attempt(s); last HTTP 200");
    } finally {
      await engine.stop({ deadlineMs: 100 });
      await new Promise((r) => server.close(r));
    }
  });
});

describe("the live view", () => {
  it("streams a new message of a call in progress, then says the call ended", async () => {
    const call = startCall(store, alice.accountId);
    const after = message(store, call, { leg: "A", dir: "received", method: "INVITE" }, { body: SDP });
    store.flush();
    const page = await get(alice, `/calls/${call.id}`);
    expect(page.text).toContain('data-live="1"');
    expect(page.text).toContain(`data-after="${after}"`);

    const res = await pagesFor(h.database.db, store, alice).request(
      `/calls/${call.id}/events?after=${after}`,
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    const readUntil = async (needle: string) => {
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${received}`);
        received += value;
      }
    };
    // Nothing new yet: the stream waits. A 180 is recorded: it arrives as an update.
    message(store, call, { leg: "A", dir: "sent", status: 180, reason: "Ringing" });
    await readUntil("event: update");
    await readUntil("\n\n");
    const first = JSON.parse(/data: (.*)/.exec(received)?.[1] ?? "{}") as { after: number; html: string };
    expect(first.after).toBe(after + 1);
    expect(arrows(first.html).map((a) => a.label)).toEqual(["INVITE", "180 Ringing"]);
    end(store, call, "failed", T0, 486, "Busy Here");
    await readUntil("event: end");
    expect(received).toContain("486 Busy Here");
    await reader.cancel();
  });
});
