import { describe, expect, it } from "vitest";
import { createResponse, parseMessage } from "@hookline/sip-core";
import { responseFlow } from "./response-flow.js";

function responseTo(via: string) {
  const r = parseMessage(
    `OPTIONS sip:gw SIP/2.0\r\nVia: ${via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:gw>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
  if (!r.ok) throw r.error;
  return createResponse(r.message, 200);
}

describe("RFC 3261 §18.2.2 responses over TCP after the connection closed", () => {
  it("go to the received address and the sent-by port", () => {
    expect(
      responseFlow(responseTo("SIP/2.0/TCP phone.example:5070;branch=z9hG4bK1;received=192.0.2.7")),
    ).toEqual({
      transport: "tcp",
      remoteAddress: "192.0.2.7",
      remotePort: 5070,
    });
  });

  it("default to port 5060 and the sent-by host without received", () => {
    expect(responseFlow(responseTo("SIP/2.0/TCP 192.0.2.8;branch=z9hG4bK1"))).toMatchObject({
      remoteAddress: "192.0.2.8",
      remotePort: 5060,
    });
  });

  it("have nowhere to go for a .invalid sent-by", () => {
    expect(responseFlow(responseTo("SIP/2.0/TCP abc.invalid;branch=z9hG4bK1"))).toBeUndefined();
  });
});

describe("RFC 3261 §18.2.2 responses over TLS after the connection closed", () => {
  it("open a TLS connection to the received address that verifies the sent-by host, port 5061 by default", () => {
    expect(
      responseFlow(responseTo("SIP/2.0/TLS pbx.example;branch=z9hG4bK1;received=192.0.2.9"), "tls"),
    ).toEqual({ transport: "tls", remoteAddress: "192.0.2.9", remotePort: 5061, serverName: "pbx.example" });
  });
});
