import { describe, expect, it } from "vitest";
import { parseMessage, type SipMessage } from "@hookline/sip-core";
import { ChallengedInvites } from "./challenged-invites.js";

const invite = (callId: string): SipMessage => {
  const raw =
    `INVITE sip:bob@acme.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n` +
    `From: <sip:alice@acme.test>;tag=a\r\nTo: <sip:bob@acme.test>\r\nCall-ID: ${callId}\r\n` +
    `CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  const r = parseMessage(new TextEncoder().encode(raw));
  if (!r.ok) throw new Error(String(r.error));
  return r.message;
};

describe("challenged INVITEs held for the call their retry becomes (RFC 3261 §22.2)", () => {
  it("gives a Call-ID's challenge once, both rounds of a stale nonce in order", () => {
    const held = new ChallengedInvites();
    const m = invite("c1");
    held.add("c1", [{ direction: "received", message: m, at: 1 }], 1);
    held.add("c1", [{ direction: "sent", message: m, at: 2 }], 2);
    expect(held.take("other", 3)).toEqual([]);
    expect(held.take("c1", 3).map((h) => [h.direction, h.at])).toEqual([
      ["received", 1],
      ["sent", 2],
    ]);
    expect(held.take("c1", 4)).toEqual([]);
  });

  it("forgets a challenge never answered within the INVITE transaction's lifetime, and stays bounded", () => {
    const held = new ChallengedInvites();
    held.add("old", [{ direction: "received", message: invite("old"), at: 0 }], 0);
    held.add("fresh", [{ direction: "received", message: invite("fresh"), at: 31_000 }], 31_000);
    expect(held.take("old", 32_000)).toEqual([]);
    expect(held.take("fresh", 32_000)).toHaveLength(1);
    const m = invite("many");
    for (let i = 0; i < 2500; i++)
      held.add(`c${i}`, [{ direction: "received", message: m, at: 40_000 }], 40_000);
    expect(held.size).toBe(2000);
    // The oldest went first.
    expect(held.take("c499", 40_000)).toEqual([]);
    expect(held.take("c500", 40_000)).toHaveLength(1);
    expect(held.take("c2499", 40_000)).toHaveLength(1);
  });
});
