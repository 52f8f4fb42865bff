/**
 * SIP, SIPS (RFC 3261 §19.1, §25.1), tel (RFC 3966) and other absolute URIs: parse and serialize.
 * Components are stored unescaped; serialization escapes what the grammar requires, so
 * `parseUri(serializeUri(u))` equals `u`.
 */
import { fail, ok, type SipResult } from "../message/errors.js";
import {
  equalsLowerAt,
  isIpv4At,
  parseUintAt,
  scanDigitsAt,
  scanHostAt,
  shadow,
} from "../headers/byte-scan.js";
import { parseParams, serializeParams, type Params } from "../headers/scan.js";
import {
  escapeComponent,
  HEADER_CHARS,
  PARAM_CHARS,
  PASSWORD_CHARS,
  unescapeComponent,
  USER_CHARS,
} from "./escape.js";

export type HostType = "ipv4" | "ipv6" | "name";

export interface SipUri {
  readonly kind: "sip";
  scheme: "sip" | "sips";
  user: string | undefined;
  password: string | undefined;
  /** Host as written; an IPv6 reference keeps its brackets (RFC 3261 §25.1 IPv6reference). */
  host: string;
  hostType: HostType;
  port: number | undefined;
  /** uri-parameters, lower-cased names, unescaped values, `null` for a flag (e.g. `lr`). */
  params: Params;
  /** Escaped headers after `?` (RFC 3261 §19.1.1), unescaped, in order. */
  headers: Array<[string, string]>;
}

/** RFC 3966 tel URI. */
export interface TelUri {
  readonly kind: "tel";
  scheme: "tel";
  /** The telephone-subscriber number as written, e.g. `+1-201-555-0123`. */
  number: string;
  params: Params;
}

/** Any other absolute URI (RFC 3261 §25.1 absoluteURI), kept opaque: it must still parse (RFC 4475 §3.3.2). */
export interface OtherUri {
  readonly kind: "other";
  scheme: string;
  /** Everything after `scheme:`. */
  rest: string;
}

export type Uri = SipUri | TelUri | OtherUri;

const MAX_URI = 8192;

/** Parses a URI; never throws. */
export function parseUri(s: string): SipResult<Uri> {
  if (s.length > MAX_URI) return fail("SIP_ERR_TOO_LARGE", "URI too long");
  return parseUriAt(s, shadow(s), 0);
}

/** {@link parseUri} over byte stand-ins: `b[o + i]` is `s.charCodeAt(i)` (see `headers/byte-scan.ts`). */
export function parseUriAt(s: string, b: Uint8Array, o: number): SipResult<Uri> {
  const n = s.length;
  if (n > MAX_URI) return fail("SIP_ERR_TOO_LARGE", "URI too long");
  let colon = 0;
  while (colon < n && b[o + colon] !== 0x3a) colon++;
  if (colon === 0 || colon === n) return fail("SIP_ERR_URI", "URI without scheme");
  // RFC 3261 §25.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const a0 = (b[o] as number) | 0x20;
  if (a0 < 0x61 || a0 > 0x7a) return fail("SIP_ERR_URI", "bad URI scheme");
  for (let i = 1; i < colon; i++) {
    const c = b[o + i] as number;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))
      return fail("SIP_ERR_URI", "bad URI scheme");
  }
  for (let i = colon + 1; i < n; i++) {
    const c = b[o + i] as number;
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) {
      return fail("SIP_ERR_URI", "whitespace, control character, <, > or quote in URI");
    }
  }
  if (equalsLowerAt(b, o, 0, colon, "sip")) return parseSipUriAt(s, b, o, colon + 1, "sip");
  if (equalsLowerAt(b, o, 0, colon, "sips")) return parseSipUriAt(s, b, o, colon + 1, "sips");
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === "tel") return parseTelUri(s, colon + 1);
  if (colon + 1 >= n) return fail("SIP_ERR_URI", "empty URI");
  return ok<Uri>({ kind: "other", scheme, rest: s.slice(colon + 1) });
}

/** Parses a URI that must be sip: or sips:. */
export function parseSipUriString(s: string): SipResult<SipUri> {
  const r = parseUri(s);
  if (!r.ok) return r;
  if (r.value.kind !== "sip") return fail("SIP_ERR_URI", "not a sip/sips URI");
  return ok(r.value);
}

function parseSipUriAt(
  s: string,
  b: Uint8Array,
  o: number,
  i: number,
  scheme: "sip" | "sips",
): SipResult<Uri> {
  const n = s.length;
  let user: string | undefined;
  let password: string | undefined;
  let at = i;
  while (at < n && b[o + at] !== 0x40) at++;
  if (at < n) {
    let pc = i;
    while (pc < at && b[o + pc] !== 0x3a) pc++;
    if (pc === i) return fail("SIP_ERR_URI", "empty user part");
    user = unescapeComponent(s.slice(i, pc));
    if (user === undefined) return fail("SIP_ERR_URI", "bad %-escape in user part");
    if (pc < at) {
      password = unescapeComponent(s.slice(pc + 1, at));
      if (password === undefined) return fail("SIP_ERR_URI", "bad %-escape in password");
    }
    i = at + 1;
  }
  // hostport
  let hostEnd: number;
  let hostType: HostType;
  if (b[o + i] === 0x5b) {
    hostEnd = s.indexOf("]", i);
    if (hostEnd < 0) return fail("SIP_ERR_URI", "unterminated IPv6 reference");
    hostEnd++;
    if (!isIpv6Reference(s.slice(i, hostEnd))) return fail("SIP_ERR_URI", "bad IPv6 reference");
    hostType = "ipv6";
  } else {
    hostEnd = scanHostAt(b, o, i, n);
    if (hostEnd === i) return fail("SIP_ERR_URI", "missing host");
    hostType = isIpv4At(b, o, i, hostEnd) ? "ipv4" : "name";
  }
  const host = s.slice(i, hostEnd);
  i = hostEnd;
  let port: number | undefined;
  if (b[o + i] === 0x3a) {
    const j = scanDigitsAt(b, o, i + 1, n);
    if (j === i + 1 || j - i > 6) return fail("SIP_ERR_URI", "bad port");
    port = parseUintAt(b, o, i + 1, j, 65535);
    if (port === undefined) return fail("SIP_ERR_URI", "port out of range");
    i = j;
  }
  const params: Params = new Map();
  while (i < n && b[o + i] === 0x3b) {
    let j = i + 1;
    let eq = -1;
    for (; j < n; j++) {
      const c = b[o + j];
      if (c === 0x3b || c === 0x3f) break;
      if (c === 0x3d && eq < 0) eq = j;
    }
    const nameEnd = eq < 0 ? j : eq;
    if (nameEnd === i + 1 || !allInAt(b, o, i + 1, nameEnd, PARAM_CHARS))
      return fail("SIP_ERR_URI", "bad URI parameter");
    const name = unescapeComponent(s.slice(i + 1, nameEnd));
    let value: string | null | undefined = null;
    if (eq >= 0) {
      if (!allInAt(b, o, eq + 1, j, PARAM_CHARS)) return fail("SIP_ERR_URI", "bad URI parameter value");
      value = unescapeComponent(s.slice(eq + 1, j));
    }
    if (name === undefined || value === undefined)
      return fail("SIP_ERR_URI", "bad %-escape in URI parameter");
    params.set(name.toLowerCase(), value);
    i = j;
  }
  const headers: Array<[string, string]> = [];
  if (i < n && b[o + i] === 0x3f) {
    for (const part of s.slice(i + 1).split("&")) {
      const eq = part.indexOf("=");
      if (eq <= 0) return fail("SIP_ERR_URI", "bad URI header");
      const rawName = part.slice(0, eq);
      const rawValue = part.slice(eq + 1);
      if (!allIn(rawName, HEADER_CHARS, true) || !allIn(rawValue, HEADER_CHARS, true))
        return fail("SIP_ERR_URI", "bad character in URI header");
      const name = unescapeComponent(rawName);
      const value = unescapeComponent(rawValue);
      if (name === undefined || value === undefined) return fail("SIP_ERR_URI", "bad %-escape in URI header");
      headers.push([name, value]);
    }
    i = n;
  }
  if (i !== n) return fail("SIP_ERR_URI", `unexpected character at ${i} in URI`);
  return ok<Uri>({ kind: "sip", scheme, user, password, host, hostType, port, params, headers });
}

/**
 * Whether {@link parseUriAt} would return a sip/sips URI without ?headers (a valid Request-URI of
 * that scheme, RFC 3261 §19.1.1, RFC 4475 §3.1.2.11), answered without building it: the message
 * parser's Request-URI check. Same scans as `parseUriAt`/`parseSipUriAt`; false also where it does
 * not decide (other schemes, IPv6 references, `?`), and the caller then runs the full parse for the
 * verdict and the error. True implies the full parse succeeds; the property tests pin both ways.
 */
export function isPlainSipUriAt(s: string, b: Uint8Array, o: number): boolean {
  const n = s.length;
  if (n > MAX_URI || n < 5) return false;
  // scheme "sip:" / "sips:" in any case
  if (foldAt(b, o) !== 0x73 || foldAt(b, o + 1) !== 0x69 || foldAt(b, o + 2) !== 0x70) return false;
  let i: number;
  if (b[o + 3] === 0x3a) i = 4;
  else if (foldAt(b, o + 3) === 0x73 && b[o + 4] === 0x3a) i = 5;
  else return false;
  for (let k = i; k < n; k++) {
    const c = b[o + k] as number;
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return false;
  }
  // userinfo: only the %-escapes can fail (unescapeComponent)
  let at = i;
  while (at < n && b[o + at] !== 0x40) at++;
  if (at < n) {
    let pc = i;
    while (pc < at && b[o + pc] !== 0x3a) pc++;
    if (pc === i || !escapesValidAt(b, o, i, pc)) return false;
    if (pc < at && !escapesValidAt(b, o, pc + 1, at)) return false;
    i = at + 1;
  }
  if (b[o + i] === 0x5b) return false;
  const hostEnd = scanHostAt(b, o, i, n);
  if (hostEnd === i) return false;
  i = hostEnd;
  if (b[o + i] === 0x3a) {
    const j = scanDigitsAt(b, o, i + 1, n);
    if (j === i + 1 || j - i > 6 || parseUintAt(b, o, i + 1, j, 65535) === undefined) return false;
    i = j;
  }
  while (i < n && b[o + i] === 0x3b) {
    let j = i + 1;
    let eq = -1;
    for (; j < n; j++) {
      const c = b[o + j];
      if (c === 0x3b || c === 0x3f) break;
      if (c === 0x3d && eq < 0) eq = j;
    }
    const nameEnd = eq < 0 ? j : eq;
    if (nameEnd === i + 1 || !allInAt(b, o, i + 1, nameEnd, PARAM_CHARS)) return false;
    if (!escapesValidAt(b, o, i + 1, nameEnd)) return false;
    if (eq >= 0 && (!allInAt(b, o, eq + 1, j, PARAM_CHARS) || !escapesValidAt(b, o, eq + 1, j))) return false;
    i = j;
  }
  return i === n;
}

/** Whether every `%` in `[i, j)` starts a `%XX` escape inside the range (what unescapeComponent accepts). */
function escapesValidAt(b: Uint8Array, o: number, i: number, j: number): boolean {
  for (let k = i; k < j; k++) {
    if (b[o + k] !== 0x25) continue;
    if (k + 2 >= j || !isHex(b[o + k + 1] as number) || !isHex(b[o + k + 2] as number)) return false;
    k += 2;
  }
  return true;
}

/** The unit at `k` with ASCII letters folded to lower case (`| 0x20`: only S and s give 0x73). */
function foldAt(b: Uint8Array, k: number): number {
  return (b[k] as number) | 0x20;
}

function isHex(c: number): boolean {
  const l = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (l >= 0x61 && l <= 0x66);
}

/** Every unit of `[i, j)` is in `allowed` or is `%`. */
function allInAt(b: Uint8Array, o: number, i: number, j: number, allowed: Uint8Array): boolean {
  for (let k = i; k < j; k++) {
    const c = b[o + k] as number;
    if (c < 128 && (allowed[c] === 1 || c === 0x25)) continue;
    return false;
  }
  return true;
}

function allIn(s: string, allowed: Uint8Array, percent: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (allowed[c] === 1 || (percent && c === 0x25))) continue;
    return false;
  }
  return true;
}

function parseTelUri(s: string, i: number): SipResult<Uri> {
  let end = s.indexOf(";", i);
  if (end < 0) end = s.length;
  const number = s.slice(i, end);
  // RFC 3966 §3: global-number-digits "+" 1*phonedigit, or local-number-digits (hex digits, * #, visual separators)
  if (!/^\+?[0-9A-Fa-f*#\-.()]+$/.test(number) || !/[0-9A-Fa-f*#]/.test(number))
    return fail("SIP_ERR_URI", "bad tel number");
  const params: Params = new Map();
  const pEnd = parseParams(s, end, params);
  if (pEnd !== s.length) return fail("SIP_ERR_URI", "bad tel URI parameter");
  return ok<Uri>({ kind: "tel", scheme: "tel", number, params });
}

/** RFC 3261 §25.1 IPv4address (dotted quad, octets 0-255 of one to three digits). */
export function isIpv4(s: string): boolean {
  return s.length <= 15 && isIpv4At(shadow(s), 0, 0, s.length);
}

/**
 * `[` IPv6address `]`. Liberal on purpose: RFC 5118 §4.10 requires tolerating the RFC 3261 ABNF
 * bug that allows three colons before an embedded IPv4 address.
 */
export function isIpv6Reference(s: string): boolean {
  if (s.length < 4 || s.length > 64 || s[0] !== "[" || s[s.length - 1] !== "]") return false;
  const inner = s.slice(1, -1);
  if (!/^[0-9A-Fa-f:.]+$/.test(inner) || inner.indexOf(":") < 0) return false;
  return inner.split(":").length <= 9;
}

/** Serializes a URI with the escaping RFC 3261 §25.1 requires. */
export function serializeUri(u: Uri): string {
  if (u.kind === "other") return u.scheme + ":" + u.rest;
  if (u.kind === "tel") return "tel:" + u.number + serializeParams(u.params);
  let out = u.scheme + ":";
  if (u.user !== undefined) {
    out += escapeComponent(u.user, USER_CHARS);
    if (u.password !== undefined) out += ":" + escapeComponent(u.password, PASSWORD_CHARS);
    out += "@";
  }
  out += u.host;
  if (u.port !== undefined) out += ":" + u.port;
  for (const [k, v] of u.params) {
    out += ";" + escapeComponent(k, PARAM_CHARS);
    if (v !== null) out += "=" + escapeComponent(v, PARAM_CHARS);
  }
  if (u.headers.length > 0) {
    out +=
      "?" +
      u.headers
        .map(([k, v]) => escapeComponent(k, HEADER_CHARS) + "=" + escapeComponent(v, HEADER_CHARS))
        .join("&");
  }
  return out;
}
