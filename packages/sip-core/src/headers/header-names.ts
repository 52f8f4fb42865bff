/**
 * Header names: case-insensitive (RFC 3261 §7.3.1) with compact forms (RFC 3261 §7.3.3, RFC 3515,
 * RFC 3841, RFC 4028, RFC 3265, RFC 3891/3892, RFC 4474). Every header gets a canonical lower-case
 * long-name `key`.
 */

/** Compact form → canonical key. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  v: "via",
  f: "from",
  t: "to",
  i: "call-id",
  m: "contact",
  l: "content-length",
  c: "content-type",
  k: "supported",
  s: "subject",
  e: "content-encoding",
  o: "event",
  r: "refer-to",
  b: "referred-by",
  u: "allow-events",
  x: "session-expires",
  y: "identity",
  a: "accept-contact",
  j: "reject-contact",
  d: "request-disposition",
};

/** Canonical key → the spelling used when Hookline writes the header. */
const DISPLAY: Record<string, string> = {
  "call-id": "Call-ID",
  cseq: "CSeq",
  "www-authenticate": "WWW-Authenticate",
  "mime-version": "MIME-Version",
  rack: "RAck",
  rseq: "RSeq",
  "sip-etag": "SIP-ETag",
  "sip-if-match": "SIP-If-Match",
};

/** Canonical keys of the headers Hookline knows by name (interned, see `name-table.ts`). */
export const KNOWN_KEYS: readonly string[] = [
  "via",
  "from",
  "to",
  "call-id",
  "cseq",
  "contact",
  "max-forwards",
  "content-length",
  "content-type",
  "route",
  "record-route",
  "expires",
  "authorization",
  "proxy-authorization",
  "www-authenticate",
  "proxy-authenticate",
  "supported",
  "require",
  "proxy-require",
  "unsupported",
  "allow",
  "user-agent",
  "server",
  "subject",
  "event",
  "accept",
  "min-expires",
  "date",
  "retry-after",
  "warning",
  "content-encoding",
  "content-disposition",
  "session-expires",
  "min-se",
  "refer-to",
  "referred-by",
  "allow-events",
  "identity",
  "p-asserted-identity",
  "reason",
  "rseq",
  "rack",
  "organization",
];

const KNOWN = new Map<string, string>();
for (const key of KNOWN_KEYS) {
  const display = headerDisplayName(key);
  KNOWN.set(key, key);
  KNOWN.set(display, key);
  KNOWN.set(key.toUpperCase(), key);
}
for (const [short, key] of Object.entries(COMPACT_FORMS)) {
  KNOWN.set(short, key);
  KNOWN.set(short.toUpperCase(), key);
}

/** The canonical key for a header name as written: `V`, `via`, `VIA` → `via`. */
export function headerKey(name: string): string {
  const known = KNOWN.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  if (lower.length === 1) return COMPACT_FORMS[lower] ?? lower;
  return lower;
}

/** `call-id` → `Call-ID`, `x-foo-bar` → `X-Foo-Bar`. */
export function headerDisplayName(key: string): string {
  const special = DISPLAY[key];
  if (special !== undefined) return special;
  return key.replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

/**
 * Headers whose values may legitimately contain top-level commas and so are never comma-split
 * (RFC 3261 §7.3.1 exception: the auth headers; plus dates and free-text headers).
 */
export const NON_SPLIT = new Set<string>([
  "www-authenticate",
  "authorization",
  "proxy-authenticate",
  "proxy-authorization",
  "date",
  "retry-after",
  "subject",
  "user-agent",
  "server",
  "organization",
  "call-id",
  "cseq",
  "from",
  "to",
  "max-forwards",
  "content-length",
  "content-type",
  "expires",
  "min-expires",
  "identity",
  "refer-to",
  "referred-by",
  "timestamp",
  "priority",
  "reply-to",
  "in-reply-to",
  "mime-version",
  "content-disposition",
  "session-expires",
]);
