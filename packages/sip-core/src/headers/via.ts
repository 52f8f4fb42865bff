/** Via header, RFC 3261 §20.42, §18.2.1 (received), RFC 3581 (rport), RFC 5118 §4.5 (IPv6 received). */
import { fail, ok, type SipResult } from "../message/errors.js";
import { isIpv4, isIpv6Reference } from "../uri/uri.js";
import {
  equalsLowerAt,
  parseParamsAt,
  parseUintAt,
  scanDigitsAt,
  scanHostAt,
  scanTokenAt,
  shadow,
  skipWsAt,
} from "./byte-scan.js";
import { LIST, lazyParams, MAP, type ParamList } from "./param-list.js";
import { parseUint, type Params } from "./scan.js";

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
  /**
   * All parameters, lower-cased names, values as written. On a parsed Via an accessor that builds
   * the map on first access: an object spread leaves it out (`{ ...via, params }`).
   */
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
  return parseViaAt(s, shadow(s), 0);
}

/** {@link parseVia} over byte stand-ins: `b[o + i]` is `s.charCodeAt(i)` (see `byte-scan.ts`). */
export function parseViaAt(s: string, b: Uint8Array, o: number): SipResult<Via> {
  const n = s.length;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport (RFC 3261 §20.42, §25.1).
  // The usual `SIP/2.0/` is matched byte for byte; any other spelling (case, whitespace around the
  // slashes, another protocol or version) takes the general scans, with the same verdicts.
  if (
    n > 8 &&
    b[o] === 0x53 &&
    b[o + 1] === 0x49 &&
    b[o + 2] === 0x50 &&
    b[o + 3] === 0x2f &&
    b[o + 4] === 0x32 &&
    b[o + 5] === 0x2e &&
    b[o + 6] === 0x30 &&
    b[o + 7] === 0x2f
  )
    return viaFromTransport(s, b, o, 8, "SIP", "2.0", true);
  let i = skipWsAt(b, o, 0, n);
  const pEnd = scanTokenAt(b, o, i, n);
  if (pEnd === i) return fail("SIP_ERR_HEADER", "Via: missing protocol name", "via");
  const isSip = equalsLowerAt(b, o, i, pEnd, "sip");
  const protocol =
    isSip && b[o + i] === 0x53 && b[o + i + 1] === 0x49 && b[o + i + 2] === 0x50 ? "SIP" : s.slice(i, pEnd);
  i = skipWsAt(b, o, pEnd, n);
  if (b[o + i] !== 0x2f) return fail("SIP_ERR_HEADER", "Via: expected /", "via");
  i = skipWsAt(b, o, i + 1, n);
  const vEnd = scanTokenAt(b, o, i, n);
  if (vEnd === i) return fail("SIP_ERR_HEADER", "Via: missing protocol version", "via");
  const is20 = vEnd - i === 3 && b[o + i] === 0x32 && b[o + i + 1] === 0x2e && b[o + i + 2] === 0x30;
  const version = is20 ? "2.0" : s.slice(i, vEnd);
  i = skipWsAt(b, o, vEnd, n);
  if (b[o + i] !== 0x2f) return fail("SIP_ERR_HEADER", "Via: expected /", "via");
  return viaFromTransport(s, b, o, i + 1, protocol, version, isSip && is20);
}

/**
 * The rest of a via-parm after the second slash of sent-protocol (at `i`): the transport, then
 * sent-by and the via-params. `supported`: the protocol is SIP/2.0 (checked after the transport,
 * so that a missing transport is reported first).
 */
function viaFromTransport(
  s: string,
  b: Uint8Array,
  o: number,
  i: number,
  protocol: string,
  version: string,
  supported: boolean,
): SipResult<Via> {
  const n = s.length;
  i = skipWsAt(b, o, i, n);
  const tEnd = scanTokenAt(b, o, i, n);
  if (tEnd === i) return fail("SIP_ERR_HEADER", "Via: missing transport", "via");
  const transport = transportName(s, b, o, i, tEnd);
  i = skipWsAt(b, o, tEnd, n);
  if (!supported) {
    return fail("SIP_ERR_VERSION", `Via: unsupported protocol ${protocol}/${version}`, "via");
  }
  // sent-by = host [ COLON port ]
  let hEnd: number;
  if (b[o + i] === 0x5b) {
    hEnd = s.indexOf("]", i);
    if (hEnd < 0) return fail("SIP_ERR_HEADER", "Via: unterminated IPv6 reference", "via");
    hEnd++;
    if (!isIpv6Reference(s.slice(i, hEnd))) return fail("SIP_ERR_HEADER", "Via: bad IPv6 reference", "via");
  } else {
    hEnd = scanHostAt(b, o, i, n);
    if (hEnd === i) return fail("SIP_ERR_HEADER", "Via: missing sent-by host", "via");
  }
  const host = s.slice(i, hEnd);
  i = skipWsAt(b, o, hEnd, n);
  let port: number | undefined;
  if (b[o + i] === 0x3a) {
    i = skipWsAt(b, o, i + 1, n);
    const j = scanDigitsAt(b, o, i, n);
    port = parseUintAt(b, o, i, j, 65535);
    if (port === undefined) return fail("SIP_ERR_HEADER", "Via: bad port", "via");
    i = j;
  }
  const params: ParamList = [];
  const end = parseParamsAt(s, b, o, i, params);
  if (end < 0) return fail("SIP_ERR_HEADER", "Via: malformed parameter", "via");
  if (skipWsAt(b, o, end, n) !== n)
    return fail("SIP_ERR_HEADER", "Via: unexpected text after parameters", "via");
  // branch, received and rport in one pass; a repeated name gives its last value, as the map does.
  let branch: string | null | undefined;
  let received: string | null | undefined;
  let rportRaw: string | null | undefined;
  for (let k = 0; k < params.length; k += 2) {
    const name = params[k];
    if (name === "branch") branch = params[k + 1];
    else if (name === "received") received = params[k + 1];
    else if (name === "rport") rportRaw = params[k + 1];
  }
  if (branch === null) return fail("SIP_ERR_HEADER", "Via: branch without value", "via");
  if (received === null) return fail("SIP_ERR_HEADER", "Via: received without value", "via");
  if (received !== undefined && !isIpv4(received) && !isIpv6Address(received)) {
    return fail("SIP_ERR_HEADER", "Via: received is not an IP address", "via");
  }
  let rport: number | true | undefined;
  if (rportRaw === null) rport = true;
  else if (rportRaw !== undefined) {
    rport = parseUint(rportRaw, 65535);
    if (rport === undefined) return fail("SIP_ERR_HEADER", "Via: bad rport", "via");
  }
  return ok(new ParsedVia(protocol, version, transport, host, port, params, branch, received, rport));
}

/** A parsed Via: the named fields up front, `params` built on first access (see `param-list.ts`). */
class ParsedVia implements Via {
  declare protocol: string;
  declare version: string;
  declare transport: string;
  declare host: string;
  declare port: number | undefined;
  declare params: Params;
  declare branch: string | undefined;
  declare received: string | undefined;
  declare rport: number | true | undefined;
  declare [LIST]: ParamList;
  declare [MAP]: Params | undefined;

  constructor(
    protocol: string,
    version: string,
    transport: string,
    host: string,
    port: number | undefined,
    params: ParamList,
    branch: string | undefined,
    received: string | undefined,
    rport: number | true | undefined,
  ) {
    this.protocol = protocol;
    this.version = version;
    this.transport = transport;
    this.host = host;
    this.port = port;
    this.branch = branch;
    this.received = received;
    this.rport = rport;
    this[LIST] = params;
    this[MAP] = undefined;
  }
}
lazyParams(ParsedVia);

/** The transport token upper-cased; the RFC 3261 §20.42 / RFC 7118 names come interned. */
function transportName(s: string, b: Uint8Array, o: number, i: number, j: number): string {
  switch (j - i) {
    case 2:
      if (equalsLowerAt(b, o, i, j, "ws")) return "WS";
      break;
    case 3:
      switch ((b[o + i] as number) | 0x20) {
        case 0x75:
          if (equalsLowerAt(b, o, i, j, "udp")) return "UDP";
          break;
        case 0x74:
          if (equalsLowerAt(b, o, i, j, "tcp")) return "TCP";
          if (equalsLowerAt(b, o, i, j, "tls")) return "TLS";
          break;
        case 0x77:
          if (equalsLowerAt(b, o, i, j, "wss")) return "WSS";
          break;
      }
      break;
    case 4:
      if (equalsLowerAt(b, o, i, j, "sctp")) return "SCTP";
      break;
  }
  return s.slice(i, j).toUpperCase();
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
