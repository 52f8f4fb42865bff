/** Via header, RFC 3261 §20.42, §18.2.1 (received), RFC 3581 (rport), RFC 5118 §4.5 (IPv6 received). */
import { fail, ok, type SipResult } from "../message/errors.js";
import { isIpv4, isIpv6Reference } from "../uri/uri.js";
import { parseParams, parseUint, scanToken, skipWs, type Params } from "./scan.js";

export interface Via {
  /** Protocol name, `SIP`. */
  protocol: string;
  /** Protocol version, `2.0`. */
  version: string;
  /** Transport token upper-cased: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS` or an extension. */
  transport: string;
  /** sent-by host as written (IPv6 references keep brackets). */
  host: string;
  port: number | undefined;
  /** All parameters, lower-cased names, values as written. */
  params: Params;
  /** `branch` (RFC 3261 §8.1.1.7); starts with `z9hG4bK` for RFC 3261 elements. */
  branch: string | undefined;
  /** `received` (RFC 3261 §18.2.1), IPv6 with or without brackets (RFC 5118 §4.5). */
  received: string | undefined;
  /** `rport` (RFC 3581): `true` when present without value (a request asking for it), else the port. */
  rport: number | true | undefined;
}

/** Parses one via-parm (one comma-separated element of a Via header). */
export function parseVia(s: string): SipResult<Via> {
  let i = skipWs(s, 0);
  const pEnd = scanToken(s, i);
  if (pEnd === i) return fail("SIP_ERR_HEADER", "Via: missing protocol name", "via");
  const protocol = s.slice(i, pEnd);
  i = skipWs(s, pEnd);
  if (s.charCodeAt(i) !== 0x2f) return fail("SIP_ERR_HEADER", "Via: expected /", "via");
  i = skipWs(s, i + 1);
  const vEnd = scanToken(s, i);
  if (vEnd === i) return fail("SIP_ERR_HEADER", "Via: missing protocol version", "via");
  const version = s.slice(i, vEnd);
  i = skipWs(s, vEnd);
  if (s.charCodeAt(i) !== 0x2f) return fail("SIP_ERR_HEADER", "Via: expected /", "via");
  i = skipWs(s, i + 1);
  const tEnd = scanToken(s, i);
  if (tEnd === i) return fail("SIP_ERR_HEADER", "Via: missing transport", "via");
  const transport = s.slice(i, tEnd).toUpperCase();
  i = skipWs(s, tEnd);
  if (protocol.toUpperCase() !== "SIP" || version !== "2.0") {
    return fail("SIP_ERR_VERSION", `Via: unsupported protocol ${protocol}/${version}`, "via");
  }
  // sent-by = host [ COLON port ]
  let hEnd: number;
  if (s.charCodeAt(i) === 0x5b) {
    hEnd = s.indexOf("]", i);
    if (hEnd < 0) return fail("SIP_ERR_HEADER", "Via: unterminated IPv6 reference", "via");
    hEnd++;
    if (!isIpv6Reference(s.slice(i, hEnd))) return fail("SIP_ERR_HEADER", "Via: bad IPv6 reference", "via");
  } else {
    hEnd = i;
    while (hEnd < s.length) {
      const c = s.charCodeAt(hEnd);
      if (
        (c >= 0x30 && c <= 0x39) ||
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x61 && c <= 0x7a) ||
        c === 0x2d ||
        c === 0x2e
      )
        hEnd++;
      else break;
    }
    if (hEnd === i) return fail("SIP_ERR_HEADER", "Via: missing sent-by host", "via");
  }
  const host = s.slice(i, hEnd);
  i = skipWs(s, hEnd);
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    i = skipWs(s, i + 1);
    let j = i;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    port = parseUint(s.slice(i, j), 65535);
    if (port === undefined) return fail("SIP_ERR_HEADER", "Via: bad port", "via");
    i = j;
  }
  const params: Params = new Map();
  const end = parseParams(s, i, params);
  if (end < 0) return fail("SIP_ERR_HEADER", "Via: malformed parameter", "via");
  if (skipWs(s, end) !== s.length)
    return fail("SIP_ERR_HEADER", "Via: unexpected text after parameters", "via");
  const branch = params.get("branch");
  if (branch === null) return fail("SIP_ERR_HEADER", "Via: branch without value", "via");
  const received = params.get("received");
  if (received === null) return fail("SIP_ERR_HEADER", "Via: received without value", "via");
  if (received !== undefined && !isIpv4(received) && !isIpv6Address(received)) {
    return fail("SIP_ERR_HEADER", "Via: received is not an IP address", "via");
  }
  const rportRaw = params.get("rport");
  let rport: number | true | undefined;
  if (rportRaw === null) rport = true;
  else if (rportRaw !== undefined) {
    rport = parseUint(rportRaw, 65535);
    if (rport === undefined) return fail("SIP_ERR_HEADER", "Via: bad rport", "via");
  }
  return ok({ protocol, version, transport, host, port, params, branch, received, rport });
}

function isIpv6Address(s: string): boolean {
  return isIpv6Reference(s.charCodeAt(0) === 0x5b ? s : "[" + s + "]");
}

/** Serializes a Via value: `SIP/2.0/UDP host:port;params`. */
export function serializeVia(v: Via): string {
  let out = `${v.protocol}/${v.version}/${v.transport} ${v.host}`;
  if (v.port !== undefined) out += ":" + v.port;
  for (const [k, val] of v.params) out += val === null ? ";" + k : ";" + k + "=" + val;
  return out;
}
