/**
 * The SIP side of Hookline: transports, the SIP stack and the request handlers. Until the
 * registrar and B2BUA land, OPTIONS is answered 200 and every other request 501 (issue 2).
 */
import { setHeader, type SipRequest } from "@hookline/sip-core";
import { SipStack } from "./sip/sip-stack.js";
import { createResponse } from "./sip/responses.js";
import { TransportLayer } from "./transport/transport-layer.js";
import type { Flow } from "./transport/types.js";

export const ALLOWED_METHODS = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, NOTIFY, UPDATE, REGISTER";

export interface GatewayOptions {
  listenIp: string;
  sipPort: number;
  wsPort: number;
  wsAllowedOrigins?: string[];
  tls?: { certFile: string; keyFile: string } | undefined;
}

export class Gateway {
  readonly transports: TransportLayer;
  readonly stack: SipStack;

  constructor(opts: GatewayOptions) {
    this.transports = new TransportLayer({
      ...opts,
      onMessage: (result, flow) => this.stack.receive(result, flow),
      onClosed: () => {},
    });
    this.stack = new SipStack((flow, data) => this.transports.send(flow, data));
    this.stack.setHandlers({
      onRequest: (req, flow) => this.#onRequest(req, flow),
      onResponse: () => {},
    });
  }

  get ports(): { sip: number; ws: number } {
    return this.transports.ports;
  }

  async start(): Promise<void> {
    await this.transports.listen();
  }

  async stop(): Promise<void> {
    await this.transports.close();
  }

  #onRequest(req: SipRequest, flow: Flow): void {
    if (req.method === "ACK") return;
    if (req.method === "OPTIONS") {
      // RFC 3261 §11.2: capabilities of the gateway itself.
      const res = createResponse(req, 200, "OK");
      setHeader(res, "Allow", ALLOWED_METHODS);
      setHeader(res, "Accept", "application/sdp");
      setHeader(res, "Supported", "path, outbound");
      void this.stack.send(res, flow).catch(() => {});
      return;
    }
    void this.stack.send(createResponse(req, 501, "Not Implemented"), flow).catch(() => {});
  }
}
