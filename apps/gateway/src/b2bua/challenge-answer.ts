/**
 * Answering a carrier's digest challenge to one of our INVITEs (RFC 3261 §22.2, §22.3): the INVITE
 * is sent again once, with the same Call-ID, From tag and To, CSeq + 1 and a new branch, carrying
 * `Authorization` (401) or `Proxy-Authorization` (407) made by sip-core's digest client. The
 * attempt's transaction is a {@link RetryableInvite}: its listeners (the dialer's) follow it from the
 * challenged transaction to the new one, so the rest of the B2BUA sees one INVITE that succeeded.
 */
import {
  createAuthorization,
  generateBranch,
  getCSeq,
  getHeaders,
  setHeader,
  type InviteClientTransaction,
  type SipRequest,
  type SipResponse,
} from "@hookline/sip-core";

/** Digest credentials for the INVITEs of one contact (a trunk's outbound credentials). */
export interface DigestCredentialsInput {
  username: string;
  password: string;
}

type Listener = (...args: unknown[]) => void;

/**
 * An INVITE client transaction that can be replaced by its authorized retry. It offers what the
 * B2BUA uses of a transaction (`on`, `start`, `state`, `request`), forwarding to the current one.
 */
export class RetryableInvite {
  #tx: InviteClientTransaction;
  readonly #listeners: [string, Listener][] = [];

  constructor(tx: InviteClientTransaction) {
    this.#tx = tx;
  }

  get state(): InviteClientTransaction["state"] {
    return this.#tx.state;
  }

  get request(): SipRequest | undefined {
    return this.#tx.request;
  }

  on(event: string, listener: Listener): this {
    this.#listeners.push([event, listener]);
    (this.#tx.on as (e: string, l: Listener) => unknown)(event, listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    const i = this.#listeners.findIndex(([e, l]) => e === event && l === listener);
    if (i >= 0) this.#listeners.splice(i, 1);
    (this.#tx.off as (e: string, l: Listener) => unknown)(event, listener);
    return this;
  }

  start(): void {
    this.#tx.start();
  }

  /** Moves every listener to `next` (the challenged transaction ends on its own) and starts it. */
  replace(next: InviteClientTransaction): void {
    const previous = this.#tx;
    for (const [event, listener] of this.#listeners) {
      (previous.off as (e: string, l: Listener) => unknown)(event, listener);
      (next.on as (e: string, l: Listener) => unknown)(event, listener);
    }
    this.#tx = next;
    next.start();
  }
}

/** The INVITE again, authorized for `challenge`; undefined when the challenge cannot be answered. */
export function authorizedInvite(
  invite: SipRequest,
  challenge: SipResponse,
  credentials: DigestCredentialsInput,
): SipRequest | undefined {
  const proxy = challenge.status === 407;
  const offered = getHeaders(challenge, proxy ? "proxy-authenticate" : "www-authenticate");
  const cseq = getCSeq(invite);
  if (offered.length === 0 || !cseq) return undefined;
  for (const value of offered) {
    const auth = createAuthorization(value, {
      username: credentials.username,
      password: credentials.password,
      method: "INVITE",
      uri: invite.uri,
      nc: 1,
      body: invite.body,
    });
    if (!auth.ok) continue;
    const next: SipRequest = { ...invite, headers: invite.headers.map((h) => ({ ...h })) };
    const via = getHeaders(next, "via")[0] ?? "";
    setHeader(next, "Via", via.replace(/;branch=[^;,\s]+/i, `;branch=${generateBranch()}`));
    setHeader(next, "CSeq", `${cseq.seq + 1} INVITE`);
    setHeader(next, proxy ? "Proxy-Authorization" : "Authorization", auth.value);
    return next;
  }
  return undefined;
}
