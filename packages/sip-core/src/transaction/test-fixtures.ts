/**
 * Test helpers for the transaction and dialog suites: a recording transport on virtual time and
 * small message makers. Not exported from the package.
 */
import type { SipHeader, SipMessage, SipRequest, SipResponse } from "../message/types.js";
import type { FakeTimers } from "../timers.js";
import { createHeader as header } from "../headers/header-list.js";
import type { Transport } from "./transport.js";

export interface Sent {
  readonly at: number;
  readonly message: SipMessage;
}

/** Records every message with the virtual time it was sent; can be told to fail. */
export class RecordingTransport implements Transport {
  readonly sent: Sent[] = [];
  /** When set, `send` throws it (or rejects with it when `async`). */
  failure: Error | undefined;
  async = false;

  constructor(
    readonly reliable: boolean,
    private readonly clock: FakeTimers,
  ) {}

  send(message: SipMessage): void | Promise<void> {
    if (this.failure !== undefined) {
      if (this.async) return Promise.reject(this.failure);
      throw this.failure;
    }
    this.sent.push({ at: this.clock.now, message });
  }

  /** Send times of messages matching `pick`. */
  times(pick: (m: SipMessage) => boolean = () => true): number[] {
    return this.sent.filter((s) => pick(s.message)).map((s) => s.at);
  }

  /** Gaps between consecutive send times. */
  intervals(pick?: (m: SipMessage) => boolean): number[] {
    const t = this.times(pick);
    return t.slice(1).map((x, i) => x - (t[i] as number));
  }
}

export interface RequestSpec {
  readonly method: string;
  readonly branch?: string | undefined;
  readonly sentBy?: string;
  readonly uri?: string;
  readonly cseq?: number;
  readonly callId?: string;
  readonly fromTag?: string;
  readonly toTag?: string | undefined;
  readonly extra?: readonly SipHeader[];
}

export function makeRequest(spec: RequestSpec): SipRequest {
  const branch = spec.branch === undefined ? "" : `;branch=${spec.branch}`;
  return {
    kind: "request",
    method: spec.method,
    uri: spec.uri ?? "sip:bob@example.com",
    headers: [
      header("Via", `SIP/2.0/UDP ${spec.sentBy ?? "pc33.example.com:5060"}${branch}`),
      header("Max-Forwards", "70"),
      header("From", `"Alice" <sip:alice@example.com>;tag=${spec.fromTag ?? "a1"}`),
      header("To", `<sip:bob@example.com>${spec.toTag === undefined ? "" : `;tag=${spec.toTag}`}`),
      header("Call-ID", spec.callId ?? "call-1@pc33"),
      header("CSeq", `${spec.cseq ?? 1} ${spec.method}`),
      ...(spec.extra ?? []),
    ],
    body: new Uint8Array(0),
  };
}

/** A response to `request` per RFC 3261 §8.2.6, with `toTag` added to To when given. */
export function makeResponse(
  request: SipRequest,
  status: number,
  toTag?: string,
  extra: readonly SipHeader[] = [],
): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of request.headers) {
    if (h.key === "via" || h.key === "from" || h.key === "call-id" || h.key === "cseq") headers.push(h);
    if (h.key === "to") {
      headers.push(
        toTag === undefined || h.value.includes(";tag=") ? h : header("To", `${h.value};tag=${toTag}`),
      );
    }
  }
  headers.push(...extra);
  return { kind: "response", status, reason: String(status), headers, body: new Uint8Array(0) };
}

/** Collects state changes (`["calling", "proceeding", ...]`) of anything that emits `state.changed`. */
export function recordStates(transaction: {
  state: string;
  on(event: "state.changed", listener: (state: string) => void): unknown;
}): string[] {
  const states = [transaction.state];
  transaction.on("state.changed", (state: string) => states.push(state));
  return states;
}

export const isRequest = (method: string) => (m: SipMessage) => m.kind === "request" && m.method === method;
export const isStatus = (status: number) => (m: SipMessage) => m.kind === "response" && m.status === status;
