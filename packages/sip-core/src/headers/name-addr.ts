/**
 * name-addr / addr-spec headers: From, To (RFC 3261 §20.20, §20.39), Contact (§20.10, incl. `*`),
 * Route, Record-Route (§20.34, §20.30), Reply-To, P-Asserted-Identity. §20 rule: an addr-spec that
 * contains a comma, question mark or semicolon must be written inside `<>`, so a bare addr-spec
 * ends at the first `;` and the rest are header parameters (RFC 4475 §3.3.12).
 */
import { fail, ok, type SipResult } from "../message/errors.js";
import { parseParamsAt, scanQuotedAt, scanTokenAt, shadow, skipWsAt } from "./byte-scan.js";
import { LIST, lazyParams, MAP, NO_PARAMS, paramValue, type ParamList } from "./param-list.js";
import { isToken, parseUint, quote, UINT32_MAX, unquote, type Params } from "./scan.js";

export interface NameAddr {
  /** Display name, unquoted; undefined when absent. */
  displayName: string | undefined;
  /** The URI as written (parse it with `parseUri`). */
  uri: string;
  /**
   * Header parameters (outside `<>`), lower-cased names, values as written. On a parsed value an
   * accessor that builds the map on first access: an object spread leaves it out.
   */
  params: Params;
  /** `tag` parameter (RFC 3261 §19.3). */
  tag: string | undefined;
  /** Whether the URI was written inside `<>`. */
  bracketed: boolean;
}

/** A Contact value (RFC 3261 §20.10): `*` or a name-addr with `expires` and `q`. */
export interface Contact extends NameAddr {
  /** `Contact: *` (only valid in REGISTER with Expires: 0, RFC 3261 §10.2.2). */
  star: boolean;
  expires: number | undefined;
  q: number | undefined;
}

/** Parses one name-addr or addr-spec with header params. */
export function parseNameAddr(s: string, header = "to"): SipResult<NameAddr> {
  return parseNameAddrAt(s, shadow(s), 0, header);
}

/** {@link parseNameAddr} over byte stand-ins: `b[o + i]` is `s.charCodeAt(i)` (see `byte-scan.ts`). */
export function parseNameAddrAt(s: string, b: Uint8Array, o: number, header: string): SipResult<NameAddr> {
  return nameAddrAt(s, b, o, header, false);
}

/** {@link parseNameAddrAt}; with `contact` the value is a Contact without expires and q. */
function nameAddrAt(
  s: string,
  b: Uint8Array,
  o: number,
  header: string,
  contact: boolean,
): SipResult<NameAddr | Contact> {
  const n = s.length;
  let i = skipWsAt(b, o, 0, n);
  let displayName: string | undefined;
  let uri: string;
  let bracketed = false;
  const c0 = b[o + i];
  let lt = -1;
  if (c0 === 0x22) {
    const end = scanQuotedAt(b, o, i, n);
    if (end < 0) return fail("SIP_ERR_HEADER", `${header}: unterminated quoted display name`, header);
    // The usual display name has no quoted-pair: one slice between the quotes.
    let plain = true;
    for (let k = i + 1; k < end - 1; k++) if (b[o + k] === 0x5c) plain = false;
    displayName = plain ? s.slice(i + 1, end - 1) : unquote(s.slice(i, end));
    lt = skipWsAt(b, o, end, n);
    if (b[o + lt] !== 0x3c) return fail("SIP_ERR_HEADER", `${header}: expected < after display name`, header);
  } else if (c0 === 0x3c) {
    lt = i;
  } else {
    // *(token LWS) "<" or an addr-spec
    let j = i;
    for (;;) {
      const t = scanTokenAt(b, o, j, n);
      if (t === j) break;
      j = skipWsAt(b, o, t, n);
      if (j === t) break;
    }
    if (b[o + j] === 0x3c && j > i) {
      displayName = s.slice(i, j).trimEnd();
      lt = j;
    }
  }
  if (lt >= 0) {
    const gt = s.indexOf(">", lt + 1);
    if (gt < 0) return fail("SIP_ERR_HEADER", `${header}: missing >`, header);
    uri = s.slice(lt + 1, gt);
    bracketed = true;
    if (!isUriLikeAt(b, o, lt + 1, gt, true))
      return fail("SIP_ERR_HEADER", `${header}: malformed URI inside <>`, header);
    i = gt + 1;
  } else {
    let j = i;
    while (j < n) {
      const c = b[o + j];
      if (c === 0x3b || c === 0x20 || c === 0x09) break;
      j++;
    }
    if (!isUriLikeAt(b, o, i, j, false))
      return fail(
        "SIP_ERR_HEADER",
        `${header}: malformed addr-spec (use <> around URIs with , ; or ?)`,
        header,
      );
    uri = s.slice(i, j);
    i = j;
  }
  let params: readonly (string | null)[] = NO_PARAMS;
  let end = skipWsAt(b, o, i, n);
  if (end < n) {
    // Only a value with parameters gets a list of its own.
    const list: ParamList = [];
    end = parseParamsAt(s, b, o, end, list);
    if (end < 0) return fail("SIP_ERR_HEADER", `${header}: malformed parameter`, header);
    if (skipWsAt(b, o, end, n) !== n)
      return fail("SIP_ERR_HEADER", `${header}: unexpected text after the address`, header);
    params = list;
  }
  const tag = paramValue(params, "tag");
  if (tag === null) return fail("SIP_ERR_HEADER", `${header}: tag without value`, header);
  if (contact)
    return ok(new ParsedContact(displayName, uri, params, tag, bracketed, false, undefined, undefined));
  return ok(new ParsedNameAddr(displayName, uri, params, tag, bracketed));
}

/** A parsed name-addr: the named fields up front, `params` built on first access (see `param-list.ts`). */
class ParsedNameAddr implements NameAddr {
  declare displayName: string | undefined;
  declare uri: string;
  declare params: Params;
  declare tag: string | undefined;
  declare bracketed: boolean;
  declare [LIST]: readonly (string | null)[];
  declare [MAP]: Params | undefined;

  constructor(
    displayName: string | undefined,
    uri: string,
    params: readonly (string | null)[],
    tag: string | undefined,
    bracketed: boolean,
  ) {
    this.displayName = displayName;
    this.uri = uri;
    this.tag = tag;
    this.bracketed = bracketed;
    this[LIST] = params;
    this[MAP] = undefined;
  }
}
lazyParams(ParsedNameAddr);

/** A parsed Contact value (see {@link ParsedNameAddr}). */
class ParsedContact implements Contact {
  declare displayName: string | undefined;
  declare uri: string;
  declare params: Params;
  declare tag: string | undefined;
  declare bracketed: boolean;
  declare star: boolean;
  declare expires: number | undefined;
  declare q: number | undefined;
  declare [LIST]: readonly (string | null)[];
  declare [MAP]: Params | undefined;

  constructor(
    displayName: string | undefined,
    uri: string,
    params: readonly (string | null)[],
    tag: string | undefined,
    bracketed: boolean,
    star: boolean,
    expires: number | undefined,
    q: number | undefined,
  ) {
    this.displayName = displayName;
    this.uri = uri;
    this.tag = tag;
    this.bracketed = bracketed;
    this.star = star;
    this.expires = expires;
    this.q = q;
    this[LIST] = params;
    this[MAP] = undefined;
  }
}
lazyParams(ParsedContact);

/**
 * `[i, j)` is scheme ":" then no whitespace, controls, quotes or angle brackets; a bare addr-spec
 * may not carry `?`/`,` either (RFC 3261 §20).
 */
function isUriLikeAt(b: Uint8Array, o: number, i: number, j: number, bracketed: boolean): boolean {
  let colon = i;
  while (colon < j && b[o + colon] !== 0x3a) colon++;
  if (colon === i || colon >= j - 1) return false;
  const c0 = (b[o + i] as number) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return false;
  for (let k = i + 1; k < colon; k++) {
    const c = b[o + k] as number;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))
      return false;
  }
  // One table load per character (non-ASCII stand-ins index the zero upper half and pass, as the
  // characters did).
  const refuse = bracketed ? 1 : 3;
  for (let k = colon + 1; k < j; k++)
    if (((URI_REFUSED[b[o + k] as number] as number) & refuse) !== 0) return false;
  return true;
}

/** 1: never in a URI here (controls, SP, DEL, `<`, `>`, `"`); 2: not in a bare addr-spec (`?`, `,`). */
const URI_REFUSED = new Uint8Array(256);
for (let c = 0; c <= 0x20; c++) URI_REFUSED[c] = 1;
URI_REFUSED[0x7f] = 1;
URI_REFUSED[0x3c] = 1;
URI_REFUSED[0x3e] = 1;
URI_REFUSED[0x22] = 1;
URI_REFUSED[0x3f] = 2;
URI_REFUSED[0x2c] = 2;

/** Parses one Contact value, including `*`, `expires` and `q` (RFC 3261 §20.10). */
export function parseContact(s: string): SipResult<Contact> {
  return parseContactAt(s, shadow(s), 0);
}

/** {@link parseContact} over byte stand-ins (see `byte-scan.ts`). */
export function parseContactAt(s: string, b: Uint8Array, o: number): SipResult<Contact> {
  const n = s.length;
  const a = skipWsAt(b, o, 0, n);
  if (b[o + a] === 0x2a && skipWsAt(b, o, a + 1, n) === n) {
    return ok(new ParsedContact(undefined, "*", NO_PARAMS, undefined, false, true, undefined, undefined));
  }
  // Built as a Contact from the start (star false, no expires/q yet): most contacts carry neither.
  const r = nameAddrAt(s, b, o, "contact", true) as SipResult<Contact>;
  if (!r.ok) return r;
  const na = r.value as ParsedContact;
  const e = paramValue(na[LIST], "expires");
  const qv = paramValue(na[LIST], "q");
  if (e === undefined && qv === undefined) return r;
  let expires: number | undefined;
  if (e !== undefined) {
    expires = e === null ? undefined : parseUint(e, UINT32_MAX);
    if (expires === undefined) return fail("SIP_ERR_HEADER", "contact: bad expires parameter", "contact");
  }
  let q: number | undefined;
  if (qv !== undefined) {
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (qv === null || !/^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(qv))
      return fail("SIP_ERR_HEADER", "contact: bad q parameter", "contact");
    q = Number(qv);
  }
  na.expires = expires;
  na.q = q;
  return r;
}

/** Serializes a name-addr, always with `<>` (safe for any URI). */
export function serializeNameAddr(na: Pick<NameAddr, "displayName" | "uri" | "params">): string {
  let out = "";
  if (na.displayName !== undefined && na.displayName !== "") {
    out += (isToken(na.displayName) ? na.displayName : quote(na.displayName)) + " ";
  }
  out += "<" + na.uri + ">";
  for (const [k, v] of na.params) out += v === null ? ";" + k : ";" + k + "=" + v;
  return out;
}
