/**
 * Authorization / Proxy-Authorization and WWW-Authenticate / Proxy-Authenticate values
 * (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616 §3.3, §3.4): a scheme and a comma-separated
 * list of auth-params whose values may be quoted strings containing commas.
 */
import { fail, ok, type SipResult } from "../message/errors.js";
import { quote, scanQuoted, scanToken, skipWs, unquote } from "./scan.js";

export interface AuthValue {
  /** Scheme as written, e.g. `Digest` (compare case-insensitively). */
  scheme: string;
  /** Lower-cased param names → unquoted values. */
  params: Map<string, string>;
}

export function parseAuthValue(s: string, header = "authorization"): SipResult<AuthValue> {
  let i = skipWs(s, 0);
  const sEnd = scanToken(s, i);
  if (sEnd === i) return fail("SIP_ERR_HEADER", `${header}: missing auth scheme`, header);
  const scheme = s.slice(i, sEnd);
  const params = new Map<string, string>();
  i = skipWs(s, sEnd);
  if (i === s.length) return ok({ scheme, params });
  if (i === sEnd) return fail("SIP_ERR_HEADER", `${header}: expected whitespace after scheme`, header);
  for (;;) {
    i = skipWs(s, i);
    const nEnd = scanToken(s, i);
    if (nEnd === i) return fail("SIP_ERR_HEADER", `${header}: malformed auth-param`, header);
    const name = s.slice(i, nEnd).toLowerCase();
    i = skipWs(s, nEnd);
    if (s.charCodeAt(i) !== 0x3d)
      return fail("SIP_ERR_HEADER", `${header}: expected = after ${name}`, header);
    i = skipWs(s, i + 1);
    let vEnd: number;
    if (s.charCodeAt(i) === 0x22) {
      vEnd = scanQuoted(s, i);
      if (vEnd < 0) return fail("SIP_ERR_HEADER", `${header}: unterminated quoted string`, header);
    } else {
      vEnd = scanToken(s, i);
      // token68-ish values (base64 '/' '=') are tolerated for extension schemes
      while (vEnd < s.length && (s.charCodeAt(vEnd) === 0x2f || s.charCodeAt(vEnd) === 0x3d))
        vEnd = scanToken(s, vEnd + 1);
      if (vEnd === i) return fail("SIP_ERR_HEADER", `${header}: empty value for ${name}`, header);
    }
    params.set(name, unquote(s.slice(i, vEnd)));
    i = skipWs(s, vEnd);
    if (i === s.length) return ok({ scheme, params });
    if (s.charCodeAt(i) !== 0x2c)
      return fail("SIP_ERR_HEADER", `${header}: expected , between auth-params`, header);
    i++;
  }
}

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
