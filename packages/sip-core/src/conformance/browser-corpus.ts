/**
 * A realistic browser call, as sip.js 0.21 in Chromium sends it over WebSocket (RFC 7118) and a
 * server answers it: INVITE with a full WebRTC SDP (ICE candidates, DTLS fingerprint, opus, PCMU,
 * PCMA, telephone-event), 100/180/200, ACK, BYE and REGISTER with Authorization. Used by the
 * sip.js agreement test and the benchmark.
 */

const crlf = (lines: readonly string[]): string => lines.join("\r\n");

export const WEBRTC_SDP = crlf([
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=extmap-allow-mixed",
  "a=msid-semantic: WMS 5c1a4e2b-8d3f-4f7a-9e61-0b2c3d4e5f60",
  "m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
  "c=IN IP4 203.0.113.45",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=candidate:2999745851 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 network-id 1 network-cost 10",
  "a=candidate:1542256331 1 udp 2122194687 10.0.0.12 61235 typ host generation 0 network-id 2 network-cost 50",
  "a=candidate:4233069003 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 network-id 1 network-cost 10",
  "a=candidate:842163049 1 udp 1686052607 203.0.113.45 54321 typ srflx raddr 192.168.1.23 rport 54321 generation 0 network-id 1 network-cost 10",
  "a=candidate:3459275837 1 udp 41885439 198.51.100.7 3478 typ relay raddr 203.0.113.45 rport 54321 generation 0 network-id 1 network-cost 10",
  "a=ice-ufrag:Vq3f",
  "a=ice-pwd:0s9pFJqHz8r3kW2mE5tYb7Lx",
  "a=ice-options:trickle",
  "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08",
  "a=setup:actpass",
  "a=mid:0",
  "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
  "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
  "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
  "a=sendrecv",
  "a=msid:5c1a4e2b-8d3f-4f7a-9e61-0b2c3d4e5f60 8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2",
  "a=fmtp:63 111/111",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:13 CN/8000",
  "a=rtpmap:110 telephone-event/48000",
  "a=rtpmap:126 telephone-event/8000",
  "a=ssrc:3735928559 cname:k2Jq9vX0pL3mN8bR",
  "a=ssrc:3735928559 msid:5c1a4e2b-8d3f-4f7a-9e61-0b2c3d4e5f60 8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
  "",
]);

function message(lines: readonly string[], body = ""): string {
  return crlf([...lines, `Content-Length: ${Buffer.byteLength(body)}`, "", body]);
}

const VIA = "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK4163617";
const FROM = '"Alice" <sip:alice@acme.sip.example>;tag=9fqkl0gh4d';
const TO = "<sip:bob@acme.sip.example>";
const CALL_ID = "Call-ID: 3pl2aj6tfo8tgdo1b4bp";
const UA = "User-Agent: SIP.js/0.21.2";

export const BROWSER_INVITE = message(
  [
    "INVITE sip:bob@acme.sip.example SIP/2.0",
    VIA,
    "To: " + TO,
    "From: " + FROM,
    "CSeq: 2 INVITE",
    CALL_ID,
    "Max-Forwards: 70",
    "Contact: <sip:0a1b2c3d@df7jal23ls0d.invalid;transport=ws;ob>",
    "Allow: ACK,CANCEL,INVITE,MESSAGE,BYE,OPTIONS,INFO,NOTIFY,REFER",
    "Supported: outbound",
    UA,
    "Content-Type: application/sdp",
    'Proxy-Authorization: Digest algorithm=SHA-256, username="alice", realm="acme.sip.example", nonce="YmFzZTY0bm9uY2U6MTcwMDAwMDAwMA", uri="sip:bob@acme.sip.example", response="5ab6f0b1f3a1d2c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c", qop=auth, cnonce="q6yklbhpdsrb", nc=00000001',
  ],
  WEBRTC_SDP,
);

const GW_VIA =
  "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK4163617;received=203.0.113.45;rport=53422";
const TO_TAG = TO + ";tag=as5f8d8a2b";

export const TRYING = message([
  "SIP/2.0 100 Trying",
  GW_VIA,
  "To: " + TO,
  "From: " + FROM,
  CALL_ID,
  "CSeq: 2 INVITE",
  "Server: Hookline",
]);
export const RINGING = message([
  "SIP/2.0 180 Ringing",
  GW_VIA,
  "Record-Route: <sip:203.0.113.1:5066;transport=ws;lr>",
  "To: " + TO_TAG,
  "From: " + FROM,
  CALL_ID,
  "CSeq: 2 INVITE",
  "Contact: <sip:bob@198.51.100.20:5060>",
  "Server: Hookline",
]);
export const OK_200 = message(
  [
    "SIP/2.0 200 OK",
    GW_VIA,
    "Record-Route: <sip:203.0.113.1:5066;transport=ws;lr>",
    "To: " + TO_TAG,
    "From: " + FROM,
    CALL_ID,
    "CSeq: 2 INVITE",
    "Contact: <sip:bob@198.51.100.20:5060>",
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO",
    "Supported: replaces, timer",
    "Server: Hookline",
    "Content-Type: application/sdp",
  ],
  WEBRTC_SDP.replace("54321 UDP/TLS", "40002 UDP/TLS"),
);
export const ACK = message([
  "ACK sip:bob@198.51.100.20:5060 SIP/2.0",
  "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK9920011",
  "Route: <sip:203.0.113.1:5066;transport=ws;lr>",
  "To: " + TO_TAG,
  "From: " + FROM,
  "CSeq: 2 ACK",
  CALL_ID,
  "Max-Forwards: 70",
  UA,
]);
export const BYE = message([
  "BYE sip:bob@198.51.100.20:5060 SIP/2.0",
  "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7782132",
  "Route: <sip:203.0.113.1:5066;transport=ws;lr>",
  "To: " + TO_TAG,
  "From: " + FROM,
  "CSeq: 3 BYE",
  CALL_ID,
  "Max-Forwards: 70",
  UA,
]);
export const REGISTER = message([
  "REGISTER sip:acme.sip.example SIP/2.0",
  "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1133401",
  "Max-Forwards: 70",
  "To: <sip:alice@acme.sip.example>",
  "From: <sip:alice@acme.sip.example>;tag=kq1lr3vb5n",
  "Call-ID: 8vk3ih0ll4b3edqr0kqf",
  "CSeq: 2 REGISTER",
  'Authorization: Digest algorithm=SHA-256, username="alice", realm="acme.sip.example", nonce="YmFzZTY0bm9uY2U6MTcwMDAwMDAwMA", uri="sip:acme.sip.example", response="0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", qop=auth, cnonce="8sd7f6g5h4", nc=00000001, opaque="b2c4"',
  'Contact: <sip:0a1b2c3d@df7jal23ls0d.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance="<urn:uuid:5c1a4e2b-8d3f-4f7a-9e61-0b2c3d4e5f60>";expires=600',
  "Expires: 600",
  "Allow: ACK,CANCEL,INVITE,MESSAGE,BYE,OPTIONS,INFO,NOTIFY,REFER",
  "Supported: path, gruu, outbound",
  UA,
]);

/** The mix, in call order. */
export const BROWSER_CALL: ReadonlyArray<readonly [string, string]> = [
  ["REGISTER", REGISTER],
  ["INVITE", BROWSER_INVITE],
  ["100", TRYING],
  ["180", RINGING],
  ["200", OK_200],
  ["ACK", ACK],
  ["BYE", BYE],
];
