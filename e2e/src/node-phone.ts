/**
 * A sip.js softphone running in Node over `ws`, for signaling tests: real sip.js UserAgent,
 * Registerer, Inviter and Invitation; its session description handler exchanges a canned SDP
 * (media is the browser tests' business).
 */
import WebSocket from "ws";
import type { Invitation, SessionState } from "sip.js";
import {
  Inviter,
  Registerer,
  RegistererState,
  UserAgent,
  type Info,
  type Session,
  type SessionDescriptionHandler,
} from "sip.js";

// sip.js opens `new WebSocket(server, "sip")`; Node 20 has no global WebSocket.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export const CANNED_SDP = (version: number, direction = "sendrecv") =>
  [
    "v=0",
    `o=- 4242 ${version} IN IP4 127.0.0.1`,
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    "m=audio 49170 RTP/AVP 0 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    `a=${direction}`,
    "",
  ].join("\r\n");

class CannedSdh implements SessionDescriptionHandler {
  version = 1;
  remote: string | undefined;
  direction = "sendrecv";
  close(): void {}
  getDescription() {
    return Promise.resolve({
      body: CANNED_SDP(this.version++, this.direction),
      contentType: "application/sdp",
    });
  }
  hasDescription(contentType: string): boolean {
    return contentType === "application/sdp";
  }
  setDescription(sdp: string): Promise<void> {
    this.remote = sdp;
    return Promise.resolve();
  }
  sendDtmf(): boolean {
    return false;
  }
}

export interface PhoneOptions {
  wsUrl: string;
  user: string;
  domain: string;
  password?: string;
}

export class NodePhone {
  readonly ua: UserAgent;
  readonly registerer: Registerer;
  readonly invitations: Invitation[] = [];
  readonly infos: Info[] = [];
  #waiters: Array<(i: Invitation) => void> = [];

  private constructor(readonly opts: PhoneOptions) {
    this.ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${opts.user}@${opts.domain}`)!,
      transportOptions: { server: opts.wsUrl, traceSip: false },
      authorizationUsername: opts.user,
      authorizationPassword: opts.password ?? `${opts.user}-secret`,
      logLevel: "error",
      logBuiltinEnabled: false,
      sessionDescriptionHandlerFactory: () => new CannedSdh(),
      delegate: {
        onInvite: (invitation) => {
          this.#track(invitation);
          const w = this.#waiters.shift();
          if (w) w(invitation);
          else this.invitations.push(invitation);
        },
      },
    });
    this.registerer = new Registerer(this.ua, { expires: 300 });
  }

  /** Connects and registers; resolves on 200, rejects with the final state otherwise. */
  static async register(opts: PhoneOptions): Promise<NodePhone> {
    const phone = new NodePhone(opts);
    await phone.ua.start();
    await phone.registerOnce();
    return phone;
  }

  /** Resolves with the registerer's state after one REGISTER transaction. */
  registerOnce(): Promise<RegistererState> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("REGISTER got no final response")), 10_000);
      void this.registerer.register({
        requestDelegate: {
          onAccept: () => {
            clearTimeout(timer);
            resolve(RegistererState.Registered);
          },
          onReject: (res) => {
            clearTimeout(timer);
            reject(new Error(`REGISTER rejected: ${res.message.statusCode}`));
          },
        },
      });
    });
  }

  nextInvitation(): Promise<Invitation> {
    const queued = this.invitations.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Calls `target` (`sip:bob@domain`); resolves with the Inviter once the INVITE is sent. */
  call(target: string, extraHeaders: string[] = []): Inviter {
    const inviter = new Inviter(this.ua, UserAgent.makeURI(target)!, { extraHeaders });
    this.#track(inviter);
    void inviter.invite().catch(() => {});
    return inviter;
  }

  /** Calls `target` and resolves with the final status the caller saw (200 when answered). */
  callForStatus(target: string): Promise<number> {
    const inviter = new Inviter(this.ua, UserAgent.makeURI(target)!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final response calling ${target}`)), 15_000);
      const done = (status: number) => {
        clearTimeout(timer);
        resolve(status);
      };
      void inviter
        .invite({
          requestDelegate: {
            onAccept: () => done(200),
            onReject: (r) => done(r.message.statusCode ?? 0),
          },
        })
        .catch(reject);
    });
  }

  /** Closes the WebSocket abruptly, as a browser tab that goes away. */
  dropConnection(): void {
    const transport = this.ua.transport as unknown as { _ws?: WebSocket; ws?: WebSocket };
    const ws = transport._ws ?? transport.ws;
    (ws as unknown as { _socket?: { destroy(): void } })?._socket?.destroy();
  }

  async stop(): Promise<void> {
    await this.ua.stop().catch(() => {});
  }

  #track(session: Session): void {
    session.delegate = {
      ...session.delegate,
      onInfo: (info) => {
        this.infos.push(info);
        void info.accept();
      },
    };
  }
}

/** Resolves when the session reaches `state` (or rejects after `ms`). */
export function sessionState(session: Session, state: SessionState, ms = 10_000): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session stayed ${session.state}, wanted ${state}`)), ms);
    session.stateChange.addListener((s) => {
      if (s === state) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
