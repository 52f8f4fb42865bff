/**
 * One side of a B2BUA call: the gateway's dialog (RFC 3261 §12) with one endpoint. The A-leg is the
 * caller's dialog (the gateway is its UAS), a B-leg the callee's (the gateway is UAC). Dialog state
 * (tags, CSeq, remote target, route set) is sip-core's `Dialog`; the leg adds where it lives (flow,
 * the gateway's own address on that transport). Each leg has its own Call-ID and tags: nothing of
 * one leg appears in the other.
 */
import {
  createRequest,
  createUacDialog,
  createUasDialog,
  generateBranch,
  type Dialog,
  type HeaderInput,
  type SipRequest,
  type SipResponse,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";

export interface LocalAddress {
  /** Via transport token: UDP, TCP, WS, WSS. */
  transport: string;
  host: string;
  port: number;
}

export type LegState = "trying" | "early" | "confirmed" | "terminated";

export interface LegRequestOptions {
  headers?: HeaderInput[];
  body?: Uint8Array;
  contentType?: string;
}

export class Leg {
  state: LegState = "trying";
  /** Set once a 1xx/2xx with a To tag establishes the dialog. */
  dialog: Dialog | undefined;
  /** The ACK we sent for this leg's 2xx, sent again if the 2xx is (RFC 3261 §13.2.2.4). */
  lastAck: SipRequest | undefined;

  constructor(
    readonly id: string,
    readonly flow: Flow,
    readonly local: LocalAddress,
    readonly sipCallId: string,
    readonly localTag: string,
    /** A browser reached through another node (MediaLegRef.webrtc). */
    readonly webrtc?: boolean,
  ) {}

  get contact(): string {
    const transport = this.local.transport.toLowerCase();
    return `<sip:hookline@${this.local.host}:${this.local.port};transport=${transport}>`;
  }

  /** The leg is over (BYE, a failure, a lost race): its dialog ends with it (RFC 3261 §12.3). */
  end(): void {
    this.state = "terminated";
    this.dialog?.terminate();
  }

  get remoteTag(): string | undefined {
    return this.dialog?.id.remoteTag;
  }

  via(branch = generateBranch()): string {
    return `SIP/2.0/${this.local.transport} ${this.local.host}:${this.local.port};branch=${branch};rport`;
  }

  /** UAS side: the caller's INVITE and the first response we send with our tag (§12.1.1). */
  establishAsUas(invite: SipRequest, response: SipResponse): void {
    if (this.dialog) return;
    const r = createUasDialog(invite, response);
    if (r.ok) this.dialog = r.dialog;
  }

  /** UAC side: a 1xx/2xx with a To tag to the INVITE we sent (§12.1.2); later ones update it. */
  establishAsUac(invite: SipRequest, response: SipResponse): void {
    if (this.dialog) {
      this.dialog.receiveResponse(response);
      return;
    }
    const r = createUacDialog(invite, response);
    if (r.ok) this.dialog = r.dialog;
  }

  /** A request within this leg's dialog (RFC 3261 §12.2.1.1); ACK reuses the last INVITE's CSeq. */
  request(method: string, opts: LegRequestOptions = {}): SipRequest | undefined {
    if (!this.dialog || this.dialog.state === "terminated") return undefined;
    return this.dialog.createRequest(method, {
      via: this.via(),
      contact: this.contact,
      headers: opts.headers,
      ...(opts.body && opts.body.length > 0 && { body: opts.body, contentType: opts.contentType }),
    });
  }

  /** The dialog-creating INVITE of a B-leg (RFC 3261 §8.1.1), before any dialog exists. */
  initialInvite(from: string, to: string, target: string, opts: LegRequestOptions): SipRequest {
    return createRequest({
      method: "INVITE",
      uri: target,
      headers: [
        ["Via", this.via()],
        ["Max-Forwards", "70"],
        ["From", `${from};tag=${this.localTag}`],
        ["To", to],
        ["Call-ID", this.sipCallId],
        ["CSeq", "1 INVITE"],
        ["Contact", this.contact],
        ...(opts.headers ?? []),
      ],
      ...(opts.body && opts.body.length > 0 && { body: opts.body }),
      ...(opts.contentType && opts.body && opts.body.length > 0 && { contentType: opts.contentType }),
    });
  }
}
