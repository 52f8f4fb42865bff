/**
 * A binding of the location service (RFC 3261 §10.3): address of record → contact, with the
 * flow that reaches the contact.
 */
import { isIpv4, isIpv6Reference, parseSipUriString, uriEquals } from "@hookline/sip-core";
import type { SipUri } from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";

export interface Binding {
  readonly id: string;
  readonly accountId: string;
  readonly domainId: string;
  /** `sip:user@domain`, the domain lower-case. */
  readonly aor: string;
  /** The Contact URI as the user agent wrote it. */
  readonly contact: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** Where the REGISTER came from (with its connection for TCP/WS). */
  readonly source: Flow;
  /** Where requests for this contact go (see `reachFlow`). */
  readonly flow: Flow;
  /** RFC 5626 `+sip.instance` (as written, e.g. `"<urn:uuid:...>"`) and `reg-id`. */
  readonly instanceId: string | undefined;
  readonly regId: string | undefined;
  readonly q: number | undefined;
  readonly userAgent: string | undefined;
  readonly createdAt: number;
}

const DEFAULT_PORT = 5060;

/**
 * The flow that reaches a contact:
 * - WS/WSS: the connection it registered on, as browsers' contacts have `.invalid` hosts
 *   (RFC 7118 §5); the transport layer has no way to open a WebSocket towards a browser.
 * - UDP/TCP: the contact's host and port when the contact names the very IP address the REGISTER
 *   came from (the user agent says where it listens and no NAT is in between); otherwise the
 *   source address and port (RFC 3581 symmetric response routing: a NATed or unresolvable
 *   contact is reached where its requests came from). For TCP the registering connection is
 *   reused while it is open (RFC 3261 §18.2.2, RFC 5626 §5.3); the address is the fallback.
 * Depends only on what is persisted, so a restored binding gets the same answer.
 */
export function reachFlow(contact: string, source: Flow): Flow {
  if (source.transport === "ws" || source.transport === "wss") return source;
  let base = { remoteAddress: source.remoteAddress, remotePort: source.remotePort };
  const uri = parseSipUriString(contact);
  if (uri.ok && (isIpv4(uri.value.host) || isIpv6Reference(uri.value.host))) {
    const host = uri.value.host.replace(/^\[|\]$/g, "");
    if (host === source.remoteAddress)
      base = { remoteAddress: host, remotePort: uri.value.port ?? DEFAULT_PORT };
  }
  return source.transport === "tcp" && source.connectionId !== undefined
    ? { transport: "tcp", ...base, connectionId: source.connectionId }
    : { transport: source.transport, ...base };
}

/** `ip:port` (IPv6 in brackets), as the `registrations.source` column and the API show it. */
export function formatSource(flow: Flow): string {
  const host = flow.remoteAddress.includes(":") ? `[${flow.remoteAddress}]` : flow.remoteAddress;
  return `${host}:${flow.remotePort}`;
}

/** Reverse of `formatSource`; undefined for anything else. */
export function parseSource(source: string): { address: string; port: number } | undefined {
  const m = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(source);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  const port = Number(m[2]);
  return port <= 65535 ? { address: m[1], port } : undefined;
}

/** A Contact header value for the 200 to a REGISTER (RFC 3261 §10.3 step 8). */
export function contactValue(binding: Binding, now: number): string {
  const expires = Math.max(0, Math.ceil((binding.expiresAt - now) / 1000));
  let value = `<${binding.contact}>;expires=${expires}`;
  if (binding.q !== undefined) value += `;q=${binding.q}`;
  if (binding.instanceId !== undefined) value += `;+sip.instance=${binding.instanceId}`;
  if (binding.regId !== undefined) value += `;reg-id=${binding.regId}`;
  return value;
}

/**
 * RFC 5626 §6: a Contact with the same `+sip.instance` and `reg-id` replaces the flow of the
 * earlier one (a browser that reconnected with a new `.invalid` contact); otherwise the Contact
 * URIs are compared per RFC 3261 §19.1.4 (one row per AOR and contact in the table).
 */
export function sameBinding(
  b: Binding,
  c: { uri: string; parsed: SipUri; instanceId?: string | undefined; regId?: string | undefined },
): boolean {
  if (c.instanceId !== undefined && c.instanceId === b.instanceId && c.regId === b.regId) return true;
  if (b.contact === c.uri) return true;
  const stored = parseStored(b.contact);
  return stored !== undefined && uriEquals(stored, c.parsed);
}

function parseStored(uri: string): SipUri | undefined {
  const r = parseSipUriString(uri);
  return r.ok ? r.value : undefined;
}
