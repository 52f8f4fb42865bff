/**
 * Typed access to the headers of a message. Each header line is parsed on first access and the
 * result cached per line object (lines are immutable; the set/append helpers replace them), so the
 * strict checks the parser runs make later access free.
 */
import { fail, ok, type SipResult } from "../message/errors.js";
import type { SipHeader, SipMessage } from "../message/types.js";
import { parseAuthValueAt, type AuthValue } from "./auth.js";
import { HeaderLine } from "./header-line.js";
import { headerKey } from "./header-names.js";
import { shadowOnce, splitCommasAt } from "./byte-scan.js";
import { parseContactAt, parseNameAddrAt, type Contact, type NameAddr } from "./name-addr.js";
import {
  parseCallIdAt,
  parseContentLength,
  parseContentTypeAt,
  parseCSeqAt,
  parseDate,
  parseDeltaSeconds,
  parseMaxForwards,
  parseOptionTags,
  parseRetryAfter,
  parseWarning,
  type ContentType,
  type CSeq,
} from "./values.js";
import { parseViaAt, type Via } from "./via.js";

/**
 * A typed-value parser over a value and its byte stand-ins (`b[o + i]` is `value.charCodeAt(i)`,
 * see `byte-scan.ts`); parsers that are not on the hot path ignore the bytes.
 */
export type Parser = (value: string, b: Uint8Array, o: number) => SipResult<unknown>;

/** A check of a value over byte stand-ins that builds nothing: true when its parser would accept it. */
export type Validator = (value: string, b: Uint8Array, o: number) => boolean;

function list<T>(
  one: (v: string, b: Uint8Array, o: number) => SipResult<T>,
  header: string,
): (v: string, b: Uint8Array, o: number) => SipResult<T[]> {
  return (v, b, o) => {
    // No comma at all (the usual case): one element, no split (parsed values are already trimmed).
    if (v.indexOf(",") < 0 && v.length > 0) {
      const r = one(v, b, o);
      return r.ok ? ok([r.value]) : r;
    }
    const out: T[] = [];
    const parts = splitCommasAt(b, o, v.length);
    for (let k = 0; k < parts.length; k += 2) {
      const a = parts[k] as number;
      const e = parts[k + 1] as number;
      if (a === e)
        return fail("SIP_ERR_HEADER", `${header}: empty element in a comma-separated list`, header);
      const r = one(a === 0 && e === v.length ? v : v.slice(a, e), b, o + a);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return ok(out);
  };
}

const nameAddr = (header: string) => (v: string, b: Uint8Array, o: number) =>
  parseNameAddrAt(v, b, o, header);

/** Headers the parser checks strictly on every message (RFC 4475 §3.1.2 invalid cases). */
export const STRICT_PARSERS: ReadonlyMap<string, Parser> = new Map<string, Parser>([
  ["via", list(parseViaAt, "via")],
  ["from", nameAddr("from")],
  ["to", nameAddr("to")],
  ["contact", list(parseContactAt, "contact")],
  ["route", list(nameAddr("route"), "route")],
  ["record-route", list(nameAddr("record-route"), "record-route")],
  ["call-id", parseCallIdAt],
  ["cseq", parseCSeqAt],
  ["max-forwards", parseMaxForwards],
  ["expires", (v) => parseDeltaSeconds(v, "expires")],
  ["min-expires", (v) => parseDeltaSeconds(v, "min-expires")],
  ["content-length", parseContentLength],
  ["content-type", parseContentTypeAt],
  ["date", parseDate],
  ["retry-after", parseRetryAfter],
  ["warning", list(parseWarning, "warning")],
]);

/**
 * Strict headers the message parser only validates (a {@link Validator} with exactly its parser's
 * verdict) and leaves to be built on first access: headers a typical consumer does not read back
 * on every message. On a false verdict the parser runs for the error (and caches it). None at
 * present: Content-Type (`isContentTypeAt`) was one until the gateway read it on every INVITE,
 * where building it once over the input bytes is cheaper than validating and building it later.
 */
export const STRICT_VALIDATORS: ReadonlyMap<string, Validator> = new Map<string, Validator>();

/**
 * Parsed on demand only: a bad value here does not make the message unparseable (for credentials,
 * another scheme or a broken line is the authenticator's call, RFC 3261 §22.4).
 */
const LAZY_PARSERS: ReadonlyMap<string, Parser> = new Map<string, Parser>([
  ["authorization", (v, b, o) => parseAuthValueAt(v, b, o, "authorization")],
  ["proxy-authorization", (v, b, o) => parseAuthValueAt(v, b, o, "proxy-authorization")],
  ["www-authenticate", (v, b, o) => parseAuthValueAt(v, b, o, "www-authenticate")],
  ["proxy-authenticate", (v, b, o) => parseAuthValueAt(v, b, o, "proxy-authenticate")],
  ["supported", (v) => parseOptionTags(v, "supported")],
  ["require", (v) => parseOptionTags(v, "require")],
  ["proxy-require", (v) => parseOptionTags(v, "proxy-require")],
  ["unsupported", (v) => parseOptionTags(v, "unsupported")],
  ["reply-to", nameAddr("reply-to")],
  ["p-asserted-identity", list(nameAddr("p-asserted-identity"), "p-asserted-identity")],
]);

/**
 * The typed value of one header line (cached), or an error result. Headers without a typed parser
 * yield their raw value.
 */
export function parseHeaderLine(h: SipHeader): SipResult<unknown> {
  const hit = HeaderLine.cached(h);
  if (hit !== undefined) return hit;
  const p = STRICT_PARSERS.get(h.key) ?? LAZY_PARSERS.get(h.key);
  return parseHeaderLineWith(h, p);
}

/**
 * {@link parseHeaderLine} with the parser already looked up. A line from the message parser that
 * was not parsed there is parsed over the message bytes it was sliced from (see `HeaderLine`), any
 * other over stand-ins made for the call (`shadowOnce`).
 */
export function parseHeaderLineWith(h: SipHeader, p: Parser | undefined): SipResult<unknown> {
  const hit = HeaderLine.cached(h);
  if (hit !== undefined) return hit;
  let r: SipResult<unknown>;
  if (p === undefined) r = ok(h.value);
  else {
    const src = HeaderLine.source(h);
    r = src === undefined ? p(h.value, shadowOnce(h.value), 0) : p(h.value, src.bytes, src.off);
  }
  HeaderLine.remember(h, r);
  return r;
}

function firstValue<T>(m: Pick<SipMessage, "headers">, key: string): T | undefined {
  for (const h of m.headers) {
    if (h.key !== key) continue;
    const r = parseHeaderLine(h);
    return r.ok ? (r.value as T) : undefined;
  }
  return undefined;
}

function allValues<T>(m: Pick<SipMessage, "headers">, key: string): T[] {
  const out: T[] = [];
  for (const h of m.headers) {
    if (h.key !== key) continue;
    const r = parseHeaderLine(h);
    if (r.ok) for (const v of r.value as T[]) out.push(v);
  }
  return out;
}

type M = Pick<SipMessage, "headers">;

/** All Via values, top first (RFC 3261 §20.42). Malformed lines are skipped (the strict parser rejects them). */
export const getVias = (m: M): Via[] => allValues<Via>(m, "via");
/** The topmost Via (RFC 3261 §8.2.6.2, §17.2.3). */
export function getTopVia(m: M): Via | undefined {
  for (const h of m.headers) {
    if (h.key !== "via") continue;
    const r = parseHeaderLine(h);
    return r.ok ? (r.value as Via[])[0] : undefined;
  }
  return undefined;
}
/** From (RFC 3261 §20.20). */
export const getFrom = (m: M): NameAddr | undefined => firstValue<NameAddr>(m, "from");
/** To (RFC 3261 §20.39). */
export const getTo = (m: M): NameAddr | undefined => firstValue<NameAddr>(m, "to");
/** Call-ID (RFC 3261 §20.8). */
export const getCallId = (m: M): string | undefined => firstValue<string>(m, "call-id");
/** CSeq (RFC 3261 §20.16). */
export const getCSeq = (m: M): CSeq | undefined => firstValue<CSeq>(m, "cseq");
/** Max-Forwards (RFC 3261 §20.22). */
export const getMaxForwards = (m: M): number | undefined => firstValue<number>(m, "max-forwards");
/** Expires (RFC 3261 §20.19). */
export const getExpires = (m: M): number | undefined => firstValue<number>(m, "expires");
/** Content-Length as written (RFC 3261 §20.14); the body length is authoritative after parsing. */
export const getContentLength = (m: M): number | undefined => firstValue<number>(m, "content-length");
/** Content-Type (RFC 3261 §20.15). */
export const getContentType = (m: M): ContentType | undefined => firstValue<ContentType>(m, "content-type");
/** All Contact values (RFC 3261 §20.10), including `*`. */
export const getContacts = (m: M): Contact[] => allValues<Contact>(m, "contact");
/** Route values in order (RFC 3261 §20.34). */
export const getRoutes = (m: M): NameAddr[] => allValues<NameAddr>(m, "route");
/** Record-Route values in order (RFC 3261 §20.30). */
export const getRecordRoutes = (m: M): NameAddr[] => allValues<NameAddr>(m, "record-route");

/** Option tags of Supported / Require / Proxy-Require / Unsupported, all lines (RFC 3261 §20.37, §20.32). */
export function getOptionTags(
  m: M,
  key: "supported" | "require" | "proxy-require" | "unsupported",
): string[] {
  return allValues<string>(m, headerKey(key));
}

/**
 * Authorization, Proxy-Authorization, WWW-Authenticate or Proxy-Authenticate values, one per line
 * (RFC 3261 §20.7, §20.27, §20.28, §20.44); lines that do not parse are skipped.
 */
export function getAuthValues(
  m: M,
  key: "authorization" | "proxy-authorization" | "www-authenticate" | "proxy-authenticate",
): AuthValue[] {
  const out: AuthValue[] = [];
  for (const h of m.headers) {
    if (h.key !== key) continue;
    const r = parseHeaderLine(h);
    if (r.ok) out.push(r.value as AuthValue);
  }
  return out;
}
