/**
 * Where a `dial` target rings (SPEC §5): a user name or a `sip:` URI of the call's domain rings
 * that user's registered contacts; a `sip:` URI whose host is an IP address is sent there directly
 * (UDP unless it says `transport=tcp`). Numbers and other hosts go through trunks (trunks/outbound.ts).
 */
import { isIP } from "node:net";
import { parseUri } from "@hookline/sip-core";
import type { CallDirectory, DialContact, TenantDomain } from "../b2bua/ports.js";

export type Resolved =
  { ok: true; contacts: DialContact[] } | { ok: false; status: 404 | 480; reason: string };

export function resolveTarget(directory: CallDirectory, domain: TenantDomain, target: string): Resolved {
  let user = target;
  if (/^sips?:/i.test(target)) {
    const r = parseUri(target);
    if (!r.ok || r.value.kind !== "sip")
      return { ok: false, status: 404, reason: `not a SIP URI: ${target}` };
    const uri = r.value;
    if (isIP(uri.host.replace(/^\[|\]$/g, ""))) {
      const tcp = uri.params.get("transport")?.toLowerCase() === "tcp";
      const flow = {
        transport: tcp ? ("tcp" as const) : ("udp" as const),
        remoteAddress: uri.host,
        remotePort: uri.port ?? 5060,
      };
      return { ok: true, contacts: [{ contact: target, flow, target }] };
    }
    if (uri.host.toLowerCase() !== domain.name || !uri.user)
      return { ok: false, status: 404, reason: `no route to ${uri.host}` };
    user = uri.user;
  }
  if (!directory.userExists(domain, user)) return { ok: false, status: 404, reason: `unknown user ${user}` };
  const contacts = directory.lookup(domain, user).map((b) => ({ ...b, target }));
  return contacts.length > 0
    ? { ok: true, contacts }
    : { ok: false, status: 480, reason: `${user} is not registered` };
}
