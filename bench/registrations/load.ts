/**
 * The load client of the registration benchmark: N SIP-over-WebSocket connections (RFC 7118,
 * subprotocol `sip`), each registering its own user with digest authentication (RFC 3261 §22.4)
 * and later refreshing that binding on the same connection (RFC 3261 §10.2.1, same Call-ID, CSeq
 * one higher), at a bounded number of transactions in flight. The same client, byte for byte,
 * drives Hookline and Kamailio.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { createAuthorization } from "@hookline/sip-core";

export interface LoadOptions {
  /** ws://127.0.0.1:port */
  url: string;
  domain: string;
  users: string[];
  /** Password of `user`. */
  password: (user: string) => string;
  /** Source address of connection `i` (a 127.0.0.x, bound as localAddress). */
  source: (i: number) => string;
  concurrency: number;
  expires: number;
  /** A wave gives up on transactions not done after this long. */
  waveTimeoutMs: number;
}

export interface Wave {
  /** Connections or REGISTER transactions attempted. */
  attempted: number;
  /** Ended in 200 OK (for `connect`: opened). */
  ok: number;
  /** Final status (or `timeout`, `closed`, `error: ...`) of those that did not, by kind. */
  failed: Record<string, number>;
  /** REGISTERs answered 401 before their 200 (digest challenges). */
  challenged: number;
  /** REGISTERs sent (first tries, answers to challenges). */
  sent: number;
  ms: number;
  perSecond: number;
}

interface Pending {
  cseq: number;
  resolve: (r: { status: number; challenge?: string } | { error: string }) => void;
}

interface Conn {
  i: number;
  user: string;
  ws?: WebSocket;
  callId: string;
  fromTag: string;
  instance: string;
  cseq: number;
  /** The last challenge and how many requests used its nonce (RFC 7616 §3.4, nonce-count). */
  challenge?: string;
  nc: number;
  pending?: Pending;
}

const token = () => randomBytes(8).toString("hex");

/**
 * Status code, WWW-Authenticate and CSeq number of a response; undefined for anything else. Both
 * registrars write these headers in their long form, which is all this client needs to read.
 */
function parseResponse(text: string): { status: number; cseq: number; challenge?: string } | undefined {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(text);
  if (!m) return undefined;
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const cseq = /^CSeq:\s*(\d+)/im.exec(head);
  const challenge = /^WWW-Authenticate:\s*(.+)$/im.exec(head);
  return {
    status: Number(m[1]),
    cseq: Number(cseq?.[1] ?? 0),
    ...(challenge && { challenge: challenge[1]!.trim() }),
  };
}

export class RegistrationLoad {
  readonly #o: LoadOptions;
  readonly #conns: Conn[];

  constructor(o: LoadOptions) {
    this.#o = o;
    this.#conns = o.users.map((user, i) => ({
      i,
      user,
      callId: `${token()}@bench`,
      fromTag: token(),
      instance: token(),
      cseq: 0,
      nc: 0,
    }));
  }

  /** Connections open now. */
  get open(): number {
    return this.#conns.filter((c) => c.ws?.readyState === WebSocket.OPEN).length;
  }

  /** Opens every connection (no SIP yet), `concurrency` handshakes at a time. */
  connect(): Promise<Wave> {
    return this.#wave(async (c) => {
      const ws = new WebSocket(this.#o.url, "sip", {
        localAddress: this.#o.source(c.i),
        perMessageDeflate: false,
      });
      c.ws = ws;
      ws.on("message", (data: Buffer) => this.#onMessage(c, data.toString("utf8")));
      ws.on("close", () => c.pending?.resolve({ error: "closed" }));
      // A reset after the handshake is an error event too: never an uncaught one (the close follows).
      ws.on("error", () => undefined);
      return new Promise<string | undefined>((resolve) => {
        ws.once("open", () => resolve(undefined));
        ws.once("unexpected-response", (_req, res) => resolve(`http ${res.statusCode}`));
        ws.once("error", (err) => resolve(`error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      });
    });
  }

  /**
   * Every connection registers its user (`refresh`: again, answering with the last challenge's
   * nonce first, so a registrar that still accepts it spares the round trip).
   */
  register(refresh: boolean): Promise<Wave> {
    return this.#wave(async (c, count) => {
      if (c.ws?.readyState !== WebSocket.OPEN) return "not open";
      let auth = refresh && c.challenge !== undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await this.#transaction(c, auth);
        count.sent++;
        if ("error" in r) return r.error;
        if (r.status === 200) return undefined;
        if (r.status !== 401 || r.challenge === undefined) return String(r.status);
        // RFC 3261 §22.2: answer the challenge with credentials, a fresh nonce-count from 1.
        count.challenged++;
        c.challenge = r.challenge;
        c.nc = 0;
        auth = true;
      }
      return "401 loop";
    });
  }

  close(): void {
    for (const c of this.#conns) c.ws?.terminate();
  }

  #onMessage(c: Conn, text: string): void {
    const r = parseResponse(text);
    if (!r || !c.pending || r.cseq !== c.pending.cseq) return; // keep-alives, requests, strays
    if (r.status < 200) return;
    const p = c.pending;
    c.pending = undefined;
    p.resolve({ status: r.status, ...(r.challenge !== undefined && { challenge: r.challenge }) });
  }

  #transaction(c: Conn, auth: boolean): Promise<{ status: number; challenge?: string } | { error: string }> {
    const { domain, expires } = this.#o;
    const uri = `sip:${domain}`;
    c.cseq++;
    const lines = [
      `REGISTER ${uri} SIP/2.0`,
      // RFC 7118 §5.2: a WebSocket client's Via transport is WS, its host may be a .invalid name.
      `Via: SIP/2.0/WS ${c.instance}.invalid;branch=z9hG4bK${token()}`,
      "Max-Forwards: 70",
      `From: <sip:${c.user}@${domain}>;tag=${c.fromTag}`,
      `To: <sip:${c.user}@${domain}>`,
      `Call-ID: ${c.callId}`,
      `CSeq: ${c.cseq} REGISTER`,
      `Contact: <sip:${c.user}@${c.instance}.invalid;transport=ws>`,
      `Expires: ${expires}`,
    ];
    if (auth && c.challenge !== undefined) {
      c.nc++;
      const a = createAuthorization(c.challenge, {
        username: c.user,
        password: this.#o.password(c.user),
        method: "REGISTER",
        uri,
        nc: c.nc,
      });
      if (!a.ok) return Promise.resolve({ error: `digest: ${a.error.code}` });
      lines.push(`Authorization: ${a.value}`);
    }
    lines.push("User-Agent: hookline-bench", "Content-Length: 0", "", "");
    return new Promise((resolve) => {
      c.pending = { cseq: c.cseq, resolve };
      c.ws!.send(lines.join("\r\n"));
    });
  }

  /** Runs `one` for every connection, `concurrency` at a time, each bounded by the wave's timeout. */
  async #wave(
    one: (c: Conn, count: { sent: number; challenged: number }) => Promise<string | undefined>,
  ): Promise<Wave> {
    const count = { sent: 0, challenged: 0 };
    const failed: Record<string, number> = {};
    let ok = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + this.#o.waveTimeoutMs;
    const worker = async () => {
      while (next < this.#conns.length) {
        const c = this.#conns[next++]!;
        if (performance.now() > deadline) {
          failed["timeout"] = (failed["timeout"] ?? 0) + 1;
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve("timeout"), Math.max(1, deadline - performance.now()));
        });
        const why = await Promise.race([one(c, count), timeout]);
        clearTimeout(timer);
        // A timed-out transaction's late answer finds nothing waiting (connect never sets it).
        if (why === "timeout") c.pending = undefined;
        if (why === undefined) ok++;
        else failed[why] = (failed[why] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: this.#o.concurrency }, worker));
    const ms = performance.now() - started;
    return {
      attempted: this.#conns.length,
      ok,
      failed,
      challenged: count.challenged,
      sent: count.sent,
      ms,
      perSecond: (ok * 1000) / ms,
    };
  }
}
