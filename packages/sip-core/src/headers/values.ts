/** Parsers for the scalar and small structured headers of RFC 3261 §20. */
import { fail, ok, type SipResult } from "../message/errors.js";
import {
  equalsLowerAt,
  isTokenAt,
  isCallIdAt,
  parseParamsAt,
  parseUintAt,
  scanDigitsAt,
  scanTokenAt,
  shadow,
  skipWsAt,
} from "./byte-scan.js";
import { LIST, lazyParams, MAP, type ParamList } from "./param-list.js";
import { isToken, parseUint, splitCommas, UINT32_MAX, type Params, trimWs } from "./scan.js";

export interface CSeq {
  /** Sequence number, 0 .. 2^32-1 (RFC 3261 §8.1.1.5). */
  seq: number;
  method: string;
}

/** CSeq, RFC 3261 §20.16. */
export function parseCSeq(s: string): SipResult<CSeq> {
  return parseCSeqAt(s, shadow(s), 0);
}

/** {@link parseCSeq} over byte stand-ins (see `byte-scan.ts`). */
export function parseCSeqAt(s: string, b: Uint8Array, o: number): SipResult<CSeq> {
  const n = s.length;
  const i = skipWsAt(b, o, 0, n);
  const j = scanDigitsAt(b, o, i, n);
  const seq = parseUintAt(b, o, i, j, UINT32_MAX);
  if (seq === undefined)
    return fail("SIP_ERR_HEADER", "CSeq: sequence number missing or above 2^32-1", "cseq");
  const k = skipWsAt(b, o, j, n);
  if (k === j) return fail("SIP_ERR_HEADER", "CSeq: expected whitespace after the number", "cseq");
  // Method = token; trailing whitespace is already gone from parsed values, not from built ones.
  let e = n;
  while (e > k) {
    const c = b[o + e - 1] as number;
    if ((c > 0x20 && c < 0x80) || !/\s/.test(s[e - 1] as string)) break;
    e--;
  }
  if (!isTokenAt(b, o, k, e)) return fail("SIP_ERR_HEADER", "CSeq: bad method", "cseq");
  return ok({ seq, method: methodNameAt(s, b, o, k, e) });
}

/** The RFC 3261 methods come interned (the CSeq/Request-Line comparison is then a pointer compare). */
const METHODS = [
  "INVITE",
  "ACK",
  "BYE",
  "CANCEL",
  "REGISTER",
  "OPTIONS",
  "INFO",
  "UPDATE",
  "PRACK",
  "MESSAGE",
];

/** The method `s[i, j)` (its bytes at `b[o + i]`), interned when it is one of RFC 3261's (the Request-Line's too). */
export function methodNameAt(s: string, b: Uint8Array, o: number, i: number, j: number): string {
  for (const m of METHODS) {
    if (m.length !== j - i) continue;
    let k = 0;
    while (k < m.length && b[o + i + k] === m.charCodeAt(k)) k++;
    if (k === m.length) return m;
  }
  return s.slice(i, j);
}

/** Call-ID = word [ "@" word ] (RFC 3261 §20.8, §25.1). */
export function parseCallId(s: string): SipResult<string> {
  return parseCallIdAt(s, shadow(s), 0);
}

/** {@link parseCallId} over byte stand-ins (see `byte-scan.ts`). */
export function parseCallIdAt(s: string, b: Uint8Array, o: number): SipResult<string> {
  return isCallIdAt(b, o, 0, s.length)
    ? ok(s)
    : fail("SIP_ERR_HEADER", "Call-ID: not word[@word]", "call-id");
}

/** Max-Forwards 0..255 (RFC 3261 §20.22; RFC 4475 §3.1.2.4). */
export function parseMaxForwards(s: string): SipResult<number> {
  const n = parseUint(s, 255);
  return n === undefined
    ? fail("SIP_ERR_HEADER", "Max-Forwards: not an integer 0-255", "max-forwards")
    : ok(n);
}

/** delta-seconds 0 .. 2^32-1 (Expires, Min-Expires: RFC 3261 §20.19, §20.23). */
export function parseDeltaSeconds(s: string, header = "expires"): SipResult<number> {
  const n = parseUint(s, UINT32_MAX);
  return n === undefined
    ? fail("SIP_ERR_HEADER", `${header}: not delta-seconds (0 .. 2^32-1)`, header)
    : ok(n);
}

/** Content-Length (RFC 3261 §20.14): digits only, so a negative value is an error. */
export function parseContentLength(s: string): SipResult<number> {
  const n = parseUint(s, 0x7fffffff);
  return n === undefined
    ? fail(
        "SIP_ERR_CONTENT_LENGTH",
        `Content-Length: bad value ${JSON.stringify(s.slice(0, 32))}`,
        "content-length",
      )
    : ok(n);
}

export interface ContentType {
  /** Lower-cased type, e.g. `application`. */
  type: string;
  /** Lower-cased subtype, e.g. `sdp`. */
  subtype: string;
  params: Params;
}

/** Content-Type media-type (RFC 3261 §20.15). */
export function parseContentType(s: string): SipResult<ContentType> {
  return parseContentTypeAt(s, shadow(s), 0);
}

/** {@link parseContentType} over byte stand-ins (see `byte-scan.ts`). */
export function parseContentTypeAt(s: string, b: Uint8Array, o: number): SipResult<ContentType> {
  const n = s.length;
  let i = skipWsAt(b, o, 0, n);
  const tEnd = scanTokenAt(b, o, i, n);
  if (tEnd === i) return fail("SIP_ERR_HEADER", "Content-Type: missing type", "content-type");
  const type = equalsLowerAt(b, o, i, tEnd, "application") ? "application" : s.slice(i, tEnd).toLowerCase();
  i = skipWsAt(b, o, tEnd, n);
  if (b[o + i] !== 0x2f) return fail("SIP_ERR_HEADER", "Content-Type: expected /", "content-type");
  i = skipWsAt(b, o, i + 1, n);
  const sEnd = scanTokenAt(b, o, i, n);
  if (sEnd === i) return fail("SIP_ERR_HEADER", "Content-Type: missing subtype", "content-type");
  const subtype = equalsLowerAt(b, o, i, sEnd, "sdp") ? "sdp" : s.slice(i, sEnd).toLowerCase();
  const params: ParamList = [];
  const end = parseParamsAt(s, b, o, sEnd, params);
  if (end < 0 || skipWsAt(b, o, end, n) !== n)
    return fail("SIP_ERR_HEADER", "Content-Type: malformed parameters", "content-type");
  return ok(new ParsedContentType(type, subtype, params));
}

/** A parsed Content-Type: `params` built on first access (see `param-list.ts`). */
class ParsedContentType implements ContentType {
  declare type: string;
  declare subtype: string;
  declare params: Params;
  declare [LIST]: ParamList;
  declare [MAP]: Params | undefined;

  constructor(type: string, subtype: string, params: ParamList) {
    this.type = type;
    this.subtype = subtype;
    this[LIST] = params;
    this[MAP] = undefined;
  }
}
lazyParams(ParsedContentType);

/**
 * Whether {@link parseContentTypeAt} accepts the value, without building it (no slices, no
 * parameter map): the strict check of a header most messages never read back. Same scans, same
 * verdict; the typed value is built on first access.
 */
export function isContentTypeAt(s: string, b: Uint8Array, o: number): boolean {
  const n = s.length;
  let i = skipWsAt(b, o, 0, n);
  const tEnd = scanTokenAt(b, o, i, n);
  if (tEnd === i) return false;
  i = skipWsAt(b, o, tEnd, n);
  if (b[o + i] !== 0x2f) return false;
  i = skipWsAt(b, o, i + 1, n);
  const sEnd = scanTokenAt(b, o, i, n);
  if (sEnd === i) return false;
  const end = parseParamsAt(s, b, o, sEnd, undefined);
  return end >= 0 && skipWsAt(b, o, end, n) === n;
}

/** Option tags of Supported / Require / Proxy-Require / Unsupported (RFC 3261 §20.37, §20.32); Supported may be empty. */
export function parseOptionTags(s: string, header = "supported"): SipResult<string[]> {
  if (trimWs(s) === "") return ok([]);
  const tags = splitCommas(s);
  for (const t of tags) if (!isToken(t)) return fail("SIP_ERR_HEADER", `${header}: bad option tag`, header);
  return ok(tags);
}

const DATE_RE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/** Date = rfc1123-date, always GMT (RFC 3261 §20.17; RFC 4475 §3.1.2.12). */
export function parseDate(s: string): SipResult<Date> {
  if (!DATE_RE.test(s)) return fail("SIP_ERR_HEADER", "Date: not an RFC 1123 date in GMT", "date");
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? fail("SIP_ERR_HEADER", "Date: invalid date", "date") : ok(d);
}

/** Retry-After delta-seconds (RFC 3261 §20.33); the comment and params are not interpreted. */
export function parseRetryAfter(s: string): SipResult<number> {
  let j = 0;
  while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
  return parseDeltaSeconds(s.slice(0, j), "retry-after");
}

export interface Warning {
  code: number;
  agent: string;
  text: string;
}

/** One warning-value: 3-digit code, agent, quoted text (RFC 3261 §20.43). */
export function parseWarning(s: string): SipResult<Warning> {
  const m = /^([0-9]{3}) +([^ ]+) +("(?:[^"\\]|\\.)*")$/.exec(trimWs(s));
  if (m === null)
    return fail("SIP_ERR_HEADER", "Warning: expected 3-digit code, agent and quoted text", "warning");
  return ok({ code: Number(m[1]), agent: m[2] as string, text: (m[3] as string).slice(1, -1) });
}
