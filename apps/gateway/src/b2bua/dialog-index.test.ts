/**
 * What the B2BUA keeps of a call after it ended (dialog-index.ts): for 64*T1 late and retransmitted
 * requests are answered as during the call (RFC 3261 §12.2.2, §15.1.2, §9.2, §13.2.2.4), from
 * entries that hold no parsed message, Call or Leg; then nothing is left.
 */
import {
  createCancel,
  createResponse,
  getCallId,
  getFrom,
  getTo,
  parseMessage,
  serializeMessageToString,
  type SipMessage,
  type SipRequest,
  type TimerHandle,
  type Timers,
} from "@hookline/sip-core";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { B2bua } from "./b2bua.js";
import { Call } from "./call.js";
import { Leg } from "./leg.js";
import { passThroughMedia, type MediaLegRef } from "./media-port.js";
import { DOMAIN } from "../registrar/test-support.js";
import {
  b2bua,
  calleeResponds,
  call,
  caller,
  clock,
  device,
  fromCaller,
  layer,
  sent,
  sentToCallee,
  setContacts,
  settle,
} from "./b2bua-test-support.js";

const CONTACT: [string, string][] = [["Contact", "<sip:bob@127.0.0.1:5080;transport=tcp>"]];

/** alice calls bob, bob answers, alice ACKs: the call is up. Returns alice's INVITE and A's tag. */
async function answeredCall(b: B2bua): Promise<{ req: SipRequest; aTag: string }> {
  const req = await call(b);
  const inv = sentToCallee("INVITE")[0]!.message as SipRequest;
  layer.receiveResponse(createResponse(inv, 200, "OK", { toTag: "callee0", headers: CONTACT }));
  await settle();
  const ok = sent.find((s) => s.flow === caller && s.message.kind === "response" && s.message.status === 200);
  const aTag = getTo(ok!.message)!.tag!;
  b.onAck(inDialog(req, aTag, "ACK", 1));
  await settle();
  return { req, aTag };
}

/** A request from alice within the dialog of her INVITE `req` (the gateway's tag `aTag`). */
function inDialog(req: SipRequest, aTag: string, method: string, cseq: number, branch = method): SipRequest {
  const r = parseMessage(
    Buffer.from(
      `${method} sip:hookline@127.0.0.1:5060;transport=tcp SIP/2.0\r\n` +
        `Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-${branch}-${cseq}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=a1\r\nTo: <sip:bob@${DOMAIN}>;tag=${aTag}\r\n` +
        `Call-ID: ${getCallId(req)}\r\nCSeq: ${cseq} ${method}\r\nContent-Length: 0\r\n\r\n`,
    ),
  );
  if (!r.ok || r.message.kind !== "request") throw new Error(`${method} does not parse`);
  return r.message;
}

/** Sends alice's in-dialog request through a fresh transaction; returns the statuses she got. */
async function fromAlice(b: B2bua, req: SipRequest): Promise<number[]> {
  const before = sent.length;
  const result = layer.receiveRequest(req, fromCaller);
  if (result.kind !== "new") throw new Error(`no ${req.method} transaction`);
  b.onInDialog(req, result.transaction);
  await settle();
  return sent
    .slice(before)
    .flatMap((s) => (s.flow === caller && s.message.kind === "response" ? [s.message.status] : []));
}

/**
 * The fake clock, but a cleared timer lets go of its function at once, as Node's clearTimeout does
 * (FakeTimers drops cleared timers lazily, which would keep their closures reachable meanwhile).
 * With the clock's time, as the gateway's timers have: ended legs wait in the index's queue.
 */
function forgetfulClock(): Timers {
  const fns = new Map<TimerHandle, () => void>();
  return {
    setTimer: (ms, fn) => {
      // The clock's closure names the handle only; the function lives in `fns` until cleared.
      const handle: TimerHandle = clock.setTimer(ms, () => {
        const f = fns.get(handle);
        fns.delete(handle);
        f?.();
      });
      fns.set(handle, fn);
      return handle;
    },
    clearTimer: (handle) => {
      fns.delete(handle);
      clock.clearTimer(handle);
    },
    get now() {
      return clock.now;
    },
  };
}

/** Every object reachable from `root` (own fields, arrays, maps, sets), `root` included. */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== "object" || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) return;
    const values = x instanceof Map || x instanceof Set ? [...x.values()] : Object.values(x);
    for (const v of values) walk(v);
  };
  walk(root);
  return [...seen];
}

const isSipMessage = (x: unknown): x is SipMessage =>
  typeof x === "object" &&
  x !== null &&
  "headers" in x &&
  ((x as { kind?: unknown }).kind === "request" || (x as { kind?: unknown }).kind === "response");

describe("B2BUA: an ended call keeps only what late requests need, for 64*T1 (RFC 6026)", () => {
  it("after the call ends, what is kept of each leg holds no SIP message, Call or Leg", async () => {
    const b = b2bua(passThroughMedia);
    const { req, aTag } = await answeredCall(b);
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2))).toEqual([200]);
    expect(b.activeCalls).toBe(0);
    const bInvite = sentToCallee("INVITE")[0]!.message as SipRequest;
    const kept = [
      b.dialogs.ended(getCallId(req)!, aTag),
      b.dialogs.ended(getCallId(bInvite)!, getFrom(bInvite)!.tag!),
    ];
    expect(kept.every((e) => e !== undefined)).toBe(true);
    const objects = reachable(kept);
    expect(objects.filter(isSipMessage)).toEqual([]);
    expect(objects.filter((x) => x instanceof Call || x instanceof Leg)).toEqual([]);
    // The callee's leg keeps its ACK, as bytes, to send again should its 2xx come again.
    expect(kept[1]!.lastAck?.bytes).toBeInstanceOf(Uint8Array);
    expect(b.dialogs.size).toEqual({ live: 0, ended: 2 });
  });

  it("once the call has ended, its legs (and so its Call) are garbage while late requests are still answered", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // The media plane is handed the legs themselves: weak references tell whether anything keeps them.
    const legs: WeakRef<MediaLegRef>[] = [];
    const media = {
      ...passThroughMedia,
      offer: (_id: string, from: MediaLegRef, to: MediaLegRef, sdp: string) => {
        legs.push(new WeakRef(from), new WeakRef(to));
        return Promise.resolve(sdp);
      },
    };
    const b = b2bua(media, undefined, undefined, forgetfulClock());
    const { req, aTag } = await answeredCall(b);
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2))).toEqual([200]);
    await settle();
    gc();
    expect(legs).toHaveLength(2);
    expect(legs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2))).toEqual([200]);
  });

  it("a BYE retransmitted after the call ended gets 200 again; another request gets 481", async () => {
    const b = b2bua(passThroughMedia);
    const { req, aTag } = await answeredCall(b);
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2))).toEqual([200]);
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2))).toEqual([200]);
    expect(await fromAlice(b, inDialog(req, aTag, "INFO", 3))).toEqual([481]);
    expect(await fromAlice(b, inDialog(req, aTag, "INFO", 1))).toEqual([500]);
    // The callee got one BYE only: the late ones end nothing more.
    expect(sentToCallee("BYE")).toHaveLength(1);
  });

  it("the callee's 2xx retransmitted after the call ended gets the same ACK again", async () => {
    const b = b2bua(passThroughMedia);
    const { req, aTag } = await answeredCall(b);
    await fromAlice(b, inDialog(req, aTag, "BYE", 2));
    const acks = () => sentToCallee("ACK").map((s) => serializeMessageToString(s.message));
    expect(acks()).toHaveLength(1);
    const inv = sentToCallee("INVITE")[0]!.message as SipRequest;
    layer.receiveResponse(createResponse(inv, 200, "OK", { toTag: "callee0", headers: CONTACT }));
    await settle();
    expect(acks()).toHaveLength(2);
    expect(acks()[1]).toBe(acks()[0]);
    const toCallee = sent.flatMap((s) =>
      s.flow === device(0) && s.message.kind === "request" ? [s.message.method] : [],
    );
    expect(toCallee).toEqual(["INVITE", "ACK", "BYE", "ACK"]);
  });

  it("a CANCEL that crossed the caller's BYE gets 200, and nothing else happens", async () => {
    const b = b2bua(passThroughMedia);
    const { req, aTag } = await answeredCall(b);
    await fromAlice(b, inDialog(req, aTag, "BYE", 2));
    const before = sent.length;
    const cancel = createCancel(req);
    const result = layer.receiveRequest(cancel, fromCaller);
    if (result.kind !== "new") throw new Error("no CANCEL transaction");
    b.onCancel(cancel, result.transaction, layer.findInviteForCancel(cancel));
    const answers = sent.slice(before).map((s) => s.message);
    expect(answers.map((m) => (m.kind === "response" ? m.status : m.method))).toEqual([200]);
    expect(getTo(answers[0]!)?.tag).toBe(aTag);
  });

  it("64*T1 after the call ended nothing of it is left: late requests get 481", async () => {
    const b = b2bua(passThroughMedia);
    const { req, aTag } = await answeredCall(b);
    await fromAlice(b, inDialog(req, aTag, "BYE", 2));
    clock.advance(64 * 500);
    expect(b.dialogs.size).toEqual({ live: 0, ended: 0 });
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2, "late"))).toEqual([481]);
  });

  it("legs of a sequential dial's earlier group are forgotten 64*T1 after the call ended too", async () => {
    setContacts(2);
    const contact = (i: number) => ({
      contact: `sip:bob@127.0.0.1:${5080 + i};transport=tcp`,
      flow: device(i),
      target: "bob",
    });
    // Contact 0 rings first and refuses; contact 1, rung next, answers (SPEC §5 `sequential`).
    const b = b2bua(passThroughMedia, undefined, {
      route: async (control) => {
        await control.dial({ groups: [[contact(0)], [contact(1)]], timeoutMs: 30_000 });
      },
    });
    const req = await call(b);
    await calleeResponds(486, 0);
    await calleeResponds(200, 1);
    const ok = sent.find(
      (s) => s.flow === caller && s.message.kind === "response" && s.message.status === 200,
    );
    const aTag = getTo(ok!.message)!.tag!;
    expect(await fromAlice(b, inDialog(req, aTag, "BYE", 2))).toEqual([200]);
    expect(b.dialogs.size).toEqual({ live: 0, ended: 3 });
    clock.advance(64 * 500);
    expect(b.dialogs.size).toEqual({ live: 0, ended: 0 });
  });
});
