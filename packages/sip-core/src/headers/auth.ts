/**
 * Authorization / Proxy-Authorization and WWW-Authenticate / Proxy-Authenticate values
 * (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616 §3.3, §3.4): a scheme and a comma-separated
 * list of auth-params whose values may be quoted strings containing commas.
 */
import { fail, ok, type SipResult } from "../message/errors.js";
import { scanQuotedAt, scanTokenAt, shadowOnce, skipWsAt } from "./byte-scan.js";
import { internBefore, internHashStep, internTable } from "./intern-table.js";
import { LIST, lazyParams, MAP } from "./param-list.js";
import { quote, TOKEN, unquote } from "./scan.js";

export interface AuthValue {
  /** Scheme as written, e.g. `Digest` (compare case-insensitively). */
  scheme: string;
  /** Lower-cased param names → unquoted values. */
  params: Map<string, string>;
}

/**
 * Parses one credentials or challenge value. The stand-ins live in the buffer `shadowOnce` reuses
 * (the parse slices `s` only and keeps nothing of them): credentials are long, and a fresh
 * `Uint8Array` of more than 64 bytes is allocated outside V8's heap, which cost three times the
 * parse itself.
 */
export function parseAuthValue(s: string, header = "authorization"): SipResult<AuthValue> {
  return parseAuthValueAt(s, shadowOnce(s), 0, header);
}

/**
 * {@link parseAuthValue} over byte stand-ins: `b[o + i]` is `s.charCodeAt(i)` (see `byte-scan.ts`);
 * the message parser hands it the input bytes, so a credentials line costs one pass and a slice
 * per value.
 */
export function parseAuthValueAt(s: string, b: Uint8Array, o: number, header: string): SipResult<AuthValue> {
  const n = s.length;
  let i = skipWsAt(b, o, 0, n);
  const sEnd = scanTokenAt(b, o, i, n);
  if (sEnd === i) return fail("SIP_ERR_HEADER", `${header}: missing auth scheme`, header);
  const scheme = isDigestAt(b, o, i, sEnd) ? "Digest" : s.slice(i, sEnd);
  const params: string[] = [];
  // Without any backslash (the usual credentials) a quoted-string ends at the next quote, which
  // the string search finds faster than a byte loop over nonces and digests.
  const escapes = s.indexOf("\\", sEnd) >= 0;
  i = skipWsAt(b, o, sEnd, n);
  if (i === n) return ok(new ParsedAuthValue(scheme, params));
  if (i === sEnd) return fail("SIP_ERR_HEADER", `${header}: expected whitespace after scheme`, header);
  for (;;) {
    i = skipWsAt(b, o, i, n);
    // The usual `name=` in one pass; any other name has its token characters checked and its
    // hash for the intern table folded in one pass.
    let name = USUAL_AUTH_PARAMS(b, o + i, o + n);
    let nEnd = i;
    if (name !== undefined) nEnd += name.length;
    else {
      let hash = 0;
      while (nEnd < n) {
        const c = b[o + nEnd] as number;
        if (TOKEN[c] !== 1) break;
        hash = internHashStep(hash, c);
        nEnd++;
      }
      if (nEnd === i) return fail("SIP_ERR_HEADER", `${header}: malformed auth-param`, header);
      name = AUTH_PARAMS(b, o + i, o + nEnd, hash) ?? s.slice(i, nEnd).toLowerCase();
    }
    i = skipWsAt(b, o, nEnd, n);
    if (i >= n || b[o + i] !== 0x3d)
      return fail("SIP_ERR_HEADER", `${header}: expected = after ${name}`, header);
    i = skipWsAt(b, o, i + 1, n);
    let value: string;
    let vEnd: number;
    if (i < n && b[o + i] === 0x22) {
      vEnd = escapes ? scanQuotedAt(b, o, i, n) : s.indexOf('"', i + 1) + 1;
      if (vEnd <= 0) return fail("SIP_ERR_HEADER", `${header}: unterminated quoted string`, header);
      value = escapes ? unquote(s.slice(i, vEnd)) : s.slice(i + 1, vEnd - 1);
    } else {
      vEnd = scanTokenAt(b, o, i, n);
      // token68-ish values (base64 '/' '=') are tolerated for extension schemes
      while (vEnd < n && (b[o + vEnd] === 0x2f || b[o + vEnd] === 0x3d))
        vEnd = scanTokenAt(b, o, vEnd + 1, n);
      if (vEnd === i) return fail("SIP_ERR_HEADER", `${header}: empty value for ${name}`, header);
      value = s.slice(i, vEnd);
    }
    params.push(name, value);
    i = skipWsAt(b, o, vEnd, n);
    if (i === n) return ok(new ParsedAuthValue(scheme, params));
    if (b[o + i] !== 0x2c) return fail("SIP_ERR_HEADER", `${header}: expected , between auth-params`, header);
    i++;
  }
}

/** A parsed auth value: `params` built on first access (see `param-list.ts`). */
class ParsedAuthValue implements AuthValue {
  declare scheme: string;
  declare params: Map<string, string>;
  declare [LIST]: string[];
  declare [MAP]: Map<string, string> | undefined;

  constructor(scheme: string, params: string[]) {
    this.scheme = scheme;
    this[LIST] = params;
    this[MAP] = undefined;
  }
}
lazyParams(ParsedAuthValue);

/** Whether `[i, j)` is `Digest` exactly as usually written (the scheme is kept as written). */
function isDigestAt(b: Uint8Array, o: number, i: number, j: number): boolean {
  const k = o + i;
  return (
    j - i === 6 &&
    b[k] === 0x44 &&
    b[k + 1] === 0x69 &&
    b[k + 2] === 0x67 &&
    b[k + 3] === 0x65 &&
    b[k + 4] === 0x73 &&
    b[k + 5] === 0x74
  );
}

/** RFC 3261 §25.1 / RFC 7616 §3.4 parameter names, interned (no slice, no lower-casing for them). */
const AUTH_PARAM_NAMES = [
  "username",
  "realm",
  "nonce",
  "uri",
  "response",
  "algorithm",
  "cnonce",
  "opaque",
  "qop",
  "nc",
  "stale",
  "domain",
  "userhash",
];
const AUTH_PARAMS = internTable(AUTH_PARAM_NAMES);
/** The same names written as usual, directly followed by `=` (RFC 7616 §3.4 examples). */
const USUAL_AUTH_PARAMS = internBefore(AUTH_PARAM_NAMES, 0x3d);

/** Params that RFC 7616 / RFC 3261 §25.1 write as tokens, not quoted strings. */
const UNQUOTED = new Set(["algorithm", "stale", "nc"]);

/** Serializes `Digest realm="x", nonce="y", algorithm=SHA-256`; qop is quoted in challenges, a token in credentials. */
export function serializeAuthValue(v: AuthValue, opts: { credentials?: boolean } = {}): string {
  const parts: string[] = [];
  for (const [k, val] of v.params) {
    const bare = UNQUOTED.has(k) || (k === "qop" && opts.credentials === true);
    parts.push(k + "=" + (bare ? val : quote(val)));
  }
  return parts.length > 0 ? v.scheme + " " + parts.join(", ") : v.scheme;
}
