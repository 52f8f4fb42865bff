/**
 * The first half of a call: the caller's INVITE that was challenged and the 401/407 it got.
 * A challenge is no call yet (most are answered within a round trip, some never), so it is kept
 * here, briefly and bounded, until the INVITE that answers it arrives: RFC 3261 §22.2 has the
 * client retry with the same Call-ID, and the trace of that call then starts with the challenge
 * (SPEC §3: a call's timeline is every SIP message it carried).
 */
import type { SipMessage } from "@hookline/sip-core";
import type { MessageDirection } from "@hookline/callbacks";

export interface HeldMessage {
  direction: MessageDirection;
  message: SipMessage;
  at: number;
}

/** How long a challenge waits for its retry: 64·T1, the INVITE transaction's lifetime (§17.1.1.2). */
const KEEP_MS = 32_000;
/** Challenges held at most; the oldest go first (a flood of unanswered INVITEs cannot grow it). */
const MAX_HELD = 2000;

export class ChallengedInvites {
  readonly #held = new Map<string, { at: number; messages: HeldMessage[] }>();

  /** Remembers a challenged INVITE and its challenge under the INVITE's Call-ID. */
  add(callId: string, messages: HeldMessage[], now: number): void {
    this.#expire(now);
    const held = this.#held.get(callId);
    // A client challenged twice (stale nonce, RFC 7616 §3.3) shows both rounds.
    this.#held.delete(callId);
    this.#held.set(callId, { at: now, messages: [...(held?.messages ?? []), ...messages] });
    for (const key of this.#held.keys()) {
      if (this.#held.size <= MAX_HELD) break;
      this.#held.delete(key);
    }
  }

  /** What the call with this Call-ID was challenged with, in order; forgotten once taken. */
  take(callId: string, now: number): HeldMessage[] {
    this.#expire(now);
    const held = this.#held.get(callId);
    this.#held.delete(callId);
    return held?.messages ?? [];
  }

  get size(): number {
    return this.#held.size;
  }

  #expire(now: number): void {
    // Insertion order is age order (add() re-inserts): stop at the first one still fresh.
    for (const [key, { at }] of this.#held) {
      if (now - at < KEEP_MS) break;
      this.#held.delete(key);
    }
  }
}
