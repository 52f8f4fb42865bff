/** Bindings to and from rows of the `registrations` table. */
import type { Registration } from "@hookline/db";
import type { Flow } from "../transport/types.js";
import type { Binding } from "./binding.js";
import { formatSource, parseSource, reachFlow } from "./binding.js";

export function toRow(b: Binding, now: number) {
  return {
    id: b.id,
    accountId: b.accountId,
    domainId: b.domainId,
    aor: b.aor,
    contact: b.contact,
    transport: b.source.transport,
    source: formatSource(b.source),
    expiresAt: b.expiresAt,
    instanceId: b.instanceId ?? null,
    connectionId: b.source.connectionId ?? null,
    sipCallId: b.callId,
    cseq: b.cseq,
    userAgent: b.userAgent ?? null,
    now,
  };
}

export function fromRow(row: Registration): Binding | undefined {
  const addr = parseSource(row.source);
  if (addr === undefined || (row.transport !== "udp" && row.transport !== "tcp")) return undefined;
  // The connection of a previous run is gone: a TCP contact is reached by address from now on.
  const source: Flow = { transport: row.transport, remoteAddress: addr.address, remotePort: addr.port };
  return {
    id: row.id,
    accountId: row.accountId,
    domainId: row.domainId,
    aor: row.aor,
    contact: row.contact,
    expiresAt: row.expiresAt,
    callId: row.sipCallId ?? "",
    cseq: row.cseq ?? 0,
    source,
    flow: reachFlow(row.contact, source),
    instanceId: row.instanceId ?? undefined,
    regId: undefined,
    q: undefined,
    userAgent: row.userAgent ?? undefined,
    createdAt: row.createdAt,
  };
}
