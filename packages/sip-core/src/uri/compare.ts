/** URI equivalence, RFC 3261 §19.1.4. */
import type { SipUri, Uri } from "./uri.js";

const MUST_MATCH = ["user", "ttl", "method", "maddr", "transport"];

/**
 * RFC 3261 §19.1.4: scheme and userinfo compared case-sensitively after unescaping, host
 * case-insensitively, an absent port is not equal to 5060, the user/ttl/method/maddr/transport
 * parameters must match when present in either URI, other parameters only when present in both,
 * and headers must match in both directions.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind !== b.kind || a.scheme !== b.scheme) return false;
  if (a.kind === "other" && b.kind === "other") return a.rest === b.rest;
  if (a.kind === "tel" && b.kind === "tel") {
    // RFC 3966 §4: visual separators are not significant
    return (
      a.number.replace(/[-.()]/g, "").toLowerCase() === b.number.replace(/[-.()]/g, "").toLowerCase() &&
      paramsEqual(a.params, b.params, [])
    );
  }
  if (a.kind !== "sip" || b.kind !== "sip") return false;
  return sipUriEquals(a, b);
}

function sipUriEquals(a: SipUri, b: SipUri): boolean {
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  if (!paramsEqual(a.params, b.params, MUST_MATCH)) return false;
  if (a.headers.length !== b.headers.length) return false;
  const bh = new Map(b.headers.map(([k, v]) => [k.toLowerCase(), v]));
  for (const [k, v] of a.headers) if (bh.get(k.toLowerCase()) !== v) return false;
  return true;
}

function paramsEqual(
  a: ReadonlyMap<string, string | null>,
  b: ReadonlyMap<string, string | null>,
  mustMatch: string[],
): boolean {
  for (const name of mustMatch) if (a.has(name) !== b.has(name)) return false;
  for (const [k, v] of a) {
    if (!b.has(k)) continue;
    const w = b.get(k);
    if ((v === null) !== (w === null || w === undefined)) return false;
    if (v !== null && w != null && v.toLowerCase() !== w.toLowerCase()) return false;
  }
  return true;
}
