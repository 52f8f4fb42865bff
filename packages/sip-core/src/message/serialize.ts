/** Serialization (RFC 3261 §7): start line, headers in order, CRLF, body; Content-Length always correct. */
import type { SipMessage } from "./types.js";

function startLine(m: SipMessage): string {
  return m.kind === "request" ? `${m.method} ${m.uri} SIP/2.0\r\n` : `SIP/2.0 ${m.status} ${m.reason}\r\n`;
}

function hasCrLf(s: string): boolean {
  return s.indexOf("\r") >= 0 || s.indexOf("\n") >= 0;
}

/**
 * The header section including the final empty line. The first Content-Length line (any spelling,
 * e.g. `l`) gets the body's real length and later ones are dropped; without one, `Content-Length`
 * is appended (RFC 3261 §18.3: mandatory on streams, harmless on datagrams). Throws TypeError on a
 * header value containing CR or LF (a programming error: header injection).
 */
function head(m: SipMessage): string {
  if (m.kind === "request" && (hasCrLf(m.uri) || m.uri.indexOf(" ") >= 0 || hasCrLf(m.method))) {
    throw new TypeError("invalid Request-Line element");
  }
  if (m.kind === "response" && hasCrLf(m.reason)) throw new TypeError("invalid reason phrase");
  let out = startLine(m);
  let wroteLength = false;
  for (const h of m.headers) {
    if (h.key === "content-length") {
      if (!wroteLength) out += h.name + ": " + m.body.byteLength + "\r\n";
      wroteLength = true;
      continue;
    }
    if (hasCrLf(h.value) || hasCrLf(h.name)) throw new TypeError(`CR/LF in header ${h.name}`);
    out += h.name + ": " + h.value + "\r\n";
  }
  if (!wroteLength) out += "Content-Length: " + m.body.byteLength + "\r\n";
  return out + "\r\n";
}

/** Serializes a message to bytes. */
export function serializeMessage(m: SipMessage): Uint8Array {
  const h = head(m);
  const headLen = Buffer.byteLength(h, "utf8");
  const out = Buffer.allocUnsafe(headLen + m.body.byteLength);
  out.write(h, 0, "utf8");
  out.set(m.body, headLen);
  return out;
}

/** Serializes a message to a string (WebSocket text frames, RFC 7118 §5); the body is decoded as UTF-8. */
export function serializeMessageToString(m: SipMessage): string {
  const h = head(m);
  return m.body.byteLength === 0
    ? h
    : h + Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString("utf8");
}
