/**
 * One side of a B2BUA call: a dialog (RFC 3261 §12) between the gateway and one endpoint. The
 * A-leg is the caller's dialog (the gateway is its UAS), a B-leg the callee's (the gateway is UAC).
 * Each leg has its own Call-ID and tags: nothing of one leg appears in the other (issue 4 part 3).
 */
import {
  createRequest,
  generateBranch,
  getContacts,
  type HeaderInput,
  type SipMessage,
  type SipRequest,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";

export interface LocalAddress {
  /** Via transport token: UDP, TCP, WS, WSS. */
  transport: string;
  host: string;
  port: number;
}

export type LegState = "trying" | "early" | "confirmed" | "terminated";

export class Leg {
  state: LegState = "trying";
  remoteTag: string | undefined;
  /** Where in-dialog requests go (RFC 3261 §12.1.1 remote target, updated by target refreshes). */
  remoteTarget: string;
  localCseq: number;
  remoteCseq: number | undefined;
  /** Route set (§12.1.1); endpoints that register here rarely have one, but a proxy in between may. */
  routeSet: string[] = [];

  constructor(
    readonly id: string,
    readonly role: "a" | "b",
    readonly flow: Flow,
    readonly local: LocalAddress,
    readonly sipCallId: string,
    readonly localTag: string,
    /** Our own identity in this dialog, a name-addr without tag. */
    readonly localUri: string,
    /** The peer's identity, a name-addr without tag. */
    readonly remoteUri: string,
    remoteTarget: string,
    localCseq = 1,
  ) {
    this.remoteTarget = remoteTarget;
    this.localCseq = localCseq;
  }

  get contact(): string {
    const transport = this.local.transport.toLowerCase();
    return `<sip:hookline@${this.local.host}:${this.local.port};transport=${transport}>`;
  }

  via(branch = generateBranch()): string {
    return `SIP/2.0/${this.local.transport} ${this.local.host}:${this.local.port};branch=${branch};rport`;
  }

  /** Updates the remote target from a Contact in a 1xx/2xx or target-refresh request (§12.2.1.2). */
  refreshTarget(m: SipMessage): void {
    const contact = getContacts(m)[0];
    if (contact && !contact.star) this.remoteTarget = contact.uri;
  }

  /** A request within this dialog (RFC 3261 §12.2.1.1). ACK reuses the INVITE's CSeq number. */
  request(
    method: string,
    opts: { cseq?: number; headers?: HeaderInput[]; body?: Uint8Array; contentType?: string } = {},
  ): SipRequest {
    const cseq = opts.cseq ?? (method === "ACK" || method === "CANCEL" ? this.localCseq : ++this.localCseq);
    const to = this.remoteTag ? `${this.remoteUri};tag=${this.remoteTag}` : this.remoteUri;
    return createRequest({
      method,
      uri: this.remoteTarget,
      headers: [
        ["Via", this.via()],
        ["Max-Forwards", "70"],
        ...this.routeSet.map((r): HeaderInput => ["Route", r]),
        ["From", `${this.localUri};tag=${this.localTag}`],
        ["To", to],
        ["Call-ID", this.sipCallId],
        ["CSeq", `${cseq} ${method}`],
        ["Contact", this.contact],
        ...(opts.headers ?? []),
      ],
      ...(opts.body && opts.body.length > 0 && { body: opts.body }),
      ...(opts.contentType && opts.body && opts.body.length > 0 && { contentType: opts.contentType }),
    });
  }
}
