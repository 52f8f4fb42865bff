/**
 * Dialog state (RFC 3261 §12): id, route set, remote target, local and remote CSeq, early vs
 * confirmed, and the construction of requests within the dialog (§12.2.1.1).
 */
import { randomInt } from "node:crypto";
import { createRequest } from "../builders/builders.js";
import type { HeaderInput } from "../builders/builders.js";
import { getHeader, getHeaders } from "../headers/header-list.js";
import { parseNameAddr } from "../headers/name-addr.js";
import { getCallId, getContacts, getCSeq, getFrom, getTo } from "../headers/typed.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { InvalidStateError } from "../transaction/errors.js";
import { parseUri, serializeUri } from "../uri/uri.js";
import type { DialogId } from "./dialog-id.js";

/** RFC 3261 §12: a dialog is early (1xx with a To tag) or confirmed (2xx); BYE, 481/408, or a failed INVITE end it. */
export type DialogState = "early" | "confirmed" | "terminated";

/** Which side created the dialog (RFC 3261 §12.1.1 UAS, §12.1.2 UAC). */
export type DialogRole = "uac" | "uas";

/** Methods whose requests and 2xx responses replace the remote target (RFC 3261 §12.2; RFC 3311, 3515, 6665). */
export const TARGET_REFRESH_METHODS: ReadonlySet<string> = new Set([
  "INVITE",
  "UPDATE",
  "SUBSCRIBE",
  "NOTIFY",
  "REFER",
]);

export type DialogResult = { ok: true; dialog: Dialog } | { ok: false; reason: string };

/** What became of a request received within the dialog (RFC 3261 §12.2.2). */
export type InDialogRequestResult =
  | { ok: true }
  /** Out of order: answer with this status (500 per §12.2.2). */
  | { ok: false; status: number; reason: string };

export interface InDialogRequestOptions {
  /** Extra headers after the dialog's own (Via, Contact, Content-Type, ...). */
  readonly headers?: readonly HeaderInput[] | undefined;
  readonly body?: Uint8Array | string | undefined;
  readonly contentType?: string | undefined;
  /**
   * A top Via to put first, e.g. `SIP/2.0/UDP host:port;branch=z9hG4bK...`; the transaction layer
   * needs one with a fresh branch. Left out, the caller adds it.
   */
  readonly via?: string | undefined;
  /** Our Contact, required in target refresh requests (§12.2.1.1). */
  readonly contact?: string | undefined;
}

interface DialogInit {
  role: DialogRole;
  state: DialogState;
  id: DialogId;
  localParty: string;
  remoteParty: string;
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  remoteTarget: string;
  routeSet: string[];
  secure: boolean;
  inviteSeq: number | undefined;
}

/**
 * One dialog. Create it with {@link createUacDialog} or {@link createUasDialog}; feed it the
 * in-dialog requests and responses; build new requests with {@link Dialog.createRequest}.
 */
export class Dialog {
  readonly role: DialogRole;
  readonly id: DialogId;
  /** Our From/To value in this dialog, with our tag (RFC 3261 §12.1.1, §12.1.2). */
  readonly localParty: string;
  /** The peer's From/To value, with its tag. */
  readonly remoteParty: string;
  /** RFC 3261 §12.1.1: the dialog was set up with a SIPS Request-URI over TLS. */
  readonly secure: boolean;
  #state: DialogState;
  #localSeq: number | undefined;
  #remoteSeq: number | undefined;
  #remoteTarget: string;
  #routeSet: string[];
  /** CSeq number of the last INVITE we sent, for the ACK of its 2xx (§13.2.2.4). */
  #inviteSeq: number | undefined;

  private constructor(init: DialogInit) {
    this.role = init.role;
    this.id = init.id;
    this.localParty = init.localParty;
    this.remoteParty = init.remoteParty;
    this.secure = init.secure;
    this.#state = init.state;
    this.#localSeq = init.localSeq;
    this.#remoteSeq = init.remoteSeq;
    this.#remoteTarget = init.remoteTarget;
    this.#routeSet = init.routeSet;
    this.#inviteSeq = init.inviteSeq;
  }

  /** @internal used by the factories below. */
  static create(init: DialogInit): Dialog {
    return new Dialog(init);
  }

  get state(): DialogState {
    return this.#state;
  }

  /** Local CSeq: the last sequence number we used; undefined until we send (UAS). */
  get localSeq(): number | undefined {
    return this.#localSeq;
  }

  /** Remote CSeq: the highest sequence number seen from the peer; undefined until it sends (UAC). */
  get remoteSeq(): number | undefined {
    return this.#remoteSeq;
  }

  /** Where our requests go: the peer's Contact URI (RFC 3261 §12.1). */
  get remoteTarget(): string {
    return this.#remoteTarget;
  }

  /** Route set as Record-Route values, in the order our requests must visit them (§12.1.1, §12.1.2). */
  get routeSet(): readonly string[] {
    return this.#routeSet;
  }

  /**
   * A response to a request we sent in this dialog (UAC side, RFC 3261 §12.1.2, §12.2.1.2,
   * §13.2.2.4): a 2xx to the INVITE confirms an early dialog and recomputes its route set; a 2xx to
   * a target refresh replaces the remote target; a 481 or 408 ends the dialog; a failed INVITE
   * ends an early one.
   */
  receiveResponse(response: SipResponse): void {
    if (this.#state === "terminated") return;
    const method = getCSeq(response)?.method;
    const status = response.status;
    if (status === 481 || status === 408) {
      this.#state = "terminated";
      return;
    }
    if (method === "INVITE" && this.#state === "early") {
      if (status >= 300) {
        this.#state = "terminated";
        return;
      }
      if (status >= 200) {
        if (this.role === "uac") this.#routeSet = getHeaders(response, "record-route").reverse();
        this.#state = "confirmed";
      }
    }
    if (status >= 200 && status < 300 && method !== undefined && TARGET_REFRESH_METHODS.has(method)) {
      const contact = getContacts(response)[0];
      if (contact !== undefined && !contact.star) this.#remoteTarget = contact.uri;
    }
  }

  /** UAS side: we sent a 2xx to the INVITE; the early dialog is now confirmed (§12.1.1, §13.3.1.4). */
  confirm(): void {
    if (this.#state === "terminated") throw new InvalidStateError("the dialog has terminated");
    this.#state = "confirmed";
  }

  /** Ends the dialog (BYE sent or received, §15). */
  terminate(): void {
    this.#state = "terminated";
  }

  /**
   * A request received within the dialog (RFC 3261 §12.2.2): a CSeq lower than the remote CSeq is
   * out of order (answer 500); otherwise the remote CSeq advances, and a target refresh request
   * with a Contact replaces the remote target.
   */
  receiveRequest(request: SipRequest): InDialogRequestResult {
    const cseq = getCSeq(request);
    if (cseq === undefined) return { ok: false, status: 400, reason: "Bad CSeq" };
    // ACK and CANCEL reuse the INVITE's number; they neither advance nor get checked against it.
    if (request.method !== "ACK" && request.method !== "CANCEL") {
      if (this.#remoteSeq !== undefined && cseq.seq < this.#remoteSeq) {
        return { ok: false, status: 500, reason: "CSeq out of order" };
      }
      this.#remoteSeq = cseq.seq;
    }
    if (TARGET_REFRESH_METHODS.has(request.method)) {
      const contact = getContacts(request)[0];
      if (contact !== undefined && !contact.star) this.#remoteTarget = contact.uri;
    }
    return { ok: true };
  }

  /**
   * A request within the dialog (RFC 3261 §12.2.1.1): To/From with both tags, the dialog's Call-ID,
   * the local CSeq plus one (ACK reuses the INVITE's number), Request-URI and Route from the
   * remote target and route set, with loose (`lr`) and strict routing handled. CANCEL is not built
   * here: it copies the INVITE (`createCancel`, §9.1).
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    if (this.#state === "terminated") throw new InvalidStateError("the dialog has terminated");
    if (method === "CANCEL") throw new InvalidStateError("build CANCEL with createCancel (RFC 3261 §9.1)");
    let seq: number;
    if (method === "ACK") {
      if (this.#inviteSeq === undefined) throw new InvalidStateError("no INVITE to acknowledge");
      seq = this.#inviteSeq;
    } else {
      // §12.2.1.1: an empty local sequence number starts at a random value below 2^31.
      seq = this.#localSeq === undefined ? randomInt(1, 0x7fffffff) : this.#localSeq + 1;
      this.#localSeq = seq;
      if (method === "INVITE") this.#inviteSeq = seq;
    }
    const { uri, routes } = this.#requestTarget();
    const headers: HeaderInput[] = [];
    if (options.via !== undefined) headers.push(["Via", options.via]);
    for (const route of routes) headers.push(["Route", route]);
    headers.push(
      ["Max-Forwards", "70"],
      ["From", this.localParty],
      ["To", this.remoteParty],
      ["Call-ID", this.id.callId],
      ["CSeq", `${seq} ${method}`],
    );
    if (options.contact !== undefined) headers.push(["Contact", options.contact]);
    headers.push(...(options.headers ?? []));
    return createRequest({
      method,
      uri,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    });
  }

  /** §12.2.1.1: loose routing keeps the remote target as Request-URI; strict routing puts it last. */
  #requestTarget(): { uri: string; routes: string[] } {
    const first = this.#routeSet[0];
    if (first === undefined) return { uri: this.#remoteTarget, routes: [] };
    const firstUri = routeUri(first);
    const parsed = firstUri === undefined ? undefined : parseUri(firstUri);
    const loose = parsed?.ok === true && parsed.value.kind === "sip" && parsed.value.params.has("lr");
    if (loose || parsed === undefined || !parsed.ok)
      return { uri: this.#remoteTarget, routes: [...this.#routeSet] };
    // Strict router: it becomes the Request-URI (minus what a Request-URI may not carry).
    const target = parsed.value;
    const uri =
      target.kind === "sip"
        ? serializeUri({ ...target, headers: [], params: withoutMethod(target.params) })
        : firstUri;
    return {
      uri: uri ?? this.#remoteTarget,
      routes: [...this.#routeSet.slice(1), `<${this.#remoteTarget}>`],
    };
  }
}

function routeUri(route: string): string | undefined {
  const parsed = parseNameAddr(route, "route");
  return parsed.ok ? parsed.value.uri : undefined;
}

function withoutMethod(params: Map<string, string | null>): Map<string, string | null> {
  const out = new Map(params);
  out.delete("method"); // RFC 3261 §19.1.1 Table 1: not allowed in a Request-URI
  return out;
}

export interface DialogOptions {
  /** The request travelled over TLS (sets `secure` with a SIPS Request-URI, §12.1.1). */
  readonly secureTransport?: boolean;
}

function isSips(uri: string): boolean {
  return uri.slice(0, 5).toLowerCase() === "sips:";
}

/**
 * What both sides take from a dialog-creating request and its 1xx/2xx (RFC 3261 §12.1): the
 * Call-ID, the From of the request and the To of the response with their tags, and the CSeq.
 */
function dialogParts(request: SipRequest, response: SipResponse) {
  if (response.status <= 100 || response.status >= 300) {
    return { ok: false as const, reason: `a ${response.status} response does not create a dialog` };
  }
  const callId = getCallId(request);
  const from = getHeader(request, "from");
  const to = getHeader(response, "to");
  const fromTag = getFrom(request)?.tag;
  const toTag = getTo(response)?.tag;
  const cseq = getCSeq(request);
  if (callId === undefined || from === undefined || to === undefined || cseq === undefined) {
    return { ok: false as const, reason: "missing Call-ID, From, To or CSeq" };
  }
  if (fromTag === undefined) return { ok: false as const, reason: "the request has no From tag" };
  if (toTag === undefined) return { ok: false as const, reason: "the response has no To tag" };
  return { ok: true as const, callId, from, to, fromTag, toTag, cseq };
}

/**
 * The UAC's dialog from a response to its dialog-creating request (RFC 3261 §12.1.2): early for a
 * 101–199 with a To tag, confirmed for a 2xx. Route set = Record-Route of the response, reversed;
 * remote target = its Contact; local CSeq = the request's. Never throws for what came from the wire.
 */
export function createUacDialog(
  request: SipRequest,
  response: SipResponse,
  options: DialogOptions = {},
): DialogResult {
  const parts = dialogParts(request, response);
  if (!parts.ok) return parts;
  const { callId, from, to, fromTag: localTag, toTag: remoteTag, cseq } = parts;
  const contact = getContacts(response)[0];
  if ((contact === undefined || contact.star) && response.status >= 200) {
    return { ok: false, reason: "a 2xx creating a dialog must carry a Contact" };
  }
  return {
    ok: true,
    dialog: Dialog.create({
      role: "uac",
      state: response.status < 200 ? "early" : "confirmed",
      id: { callId, localTag, remoteTag },
      localParty: from,
      remoteParty: to,
      localSeq: cseq.seq,
      remoteSeq: undefined,
      // A provisional without Contact (seen in the wild) keeps the Request-URI until the 2xx.
      remoteTarget: contact === undefined || contact.star ? request.uri : contact.uri,
      routeSet: getHeaders(response, "record-route").reverse(),
      secure: isSips(request.uri) && options.secureTransport === true,
      inviteSeq: request.method === "INVITE" ? cseq.seq : undefined,
    }),
  };
}

/**
 * The UAS's dialog from a dialog-creating request and the 1xx/2xx (with our To tag) it answers it
 * with (RFC 3261 §12.1.1). Route set = Record-Route of the request, in order; remote target = its
 * Contact; remote CSeq = its CSeq.
 */
export function createUasDialog(
  request: SipRequest,
  response: SipResponse,
  options: DialogOptions = {},
): DialogResult {
  const parts = dialogParts(request, response);
  if (!parts.ok) return parts;
  const { callId, from, to, fromTag: remoteTag, toTag: localTag, cseq } = parts;
  const contact = getContacts(request)[0];
  if (contact === undefined || contact.star) return { ok: false, reason: "the request has no Contact" };
  return {
    ok: true,
    dialog: Dialog.create({
      role: "uas",
      state: response.status < 200 ? "early" : "confirmed",
      id: { callId, localTag, remoteTag },
      localParty: to,
      remoteParty: from,
      localSeq: undefined,
      remoteSeq: cseq.seq,
      remoteTarget: contact.uri,
      routeSet: getHeaders(request, "record-route"),
      secure: isSips(request.uri) && options.secureTransport === true,
      inviteSeq: undefined,
    }),
  };
}
