/** Whether `address` is the SIP address of a node of the cluster that is up (the nodes table). */
export function clusterNodeAt(
  mirror: Pick<DirectoryMirror, "rows">,
  now: () => number = Date.now,
): (address: string) => boolean {
  return (address) => {
    for (const node of mirror.rows("nodes")) {
      const sip = node.sipAddress;
      if (sip === null || nodeState(node, now()) !== "up") continue;
      if (sip.slice(0, sip.lastIndexOf(":")).replace(/^\[|\]$/g, "") === address) return true;
    }
    return false;
  };
}

/**
 * A user's contacts held by the other nodes of a cluster (SPEC §2), from the directory mirror:
 * each reached through its node, with the binding's Path as the Route (RFC 3327 §5,
 * cluster/relay.ts). A node that is lost holds nothing: its phones re-register elsewhere.
 */
import { nodeState } from "@hookline/db";
import type { DirectoryMirror } from "@hookline/db/pg";
import { parseNameAddr, parseSipUriString } from "@hookline/sip-core";
import type { Binding } from "../b2bua/ports.js";
import { aorOf } from "../registrar/location-service.js";
import type { Flow } from "../transport/types.js";

export type RemoteBindings = (domain: string, user: string) => Binding[];

export function remoteBindings(
  mirror: Pick<DirectoryMirror, "registrationsOf" | "row">,
  nodeId: string,
  now: () => number = Date.now,
): RemoteBindings {
  return (domain, user) => {
    const out: Binding[] = [];
    for (const r of mirror.registrationsOf(aorOf(user, domain))) {
      if (r.nodeId === null || r.nodeId === nodeId || r.path === null) continue;
      const node = mirror.row("nodes", r.nodeId);
      if (node === undefined || nodeState(node, now()) !== "up") continue;
      const flow = pathFlow(r.path);
      if (flow === undefined) continue;
      out.push({
        contact: r.contact,
        flow,
        route: r.path,
        webrtc: r.transport === "ws" || r.transport === "wss",
      });
    }
    return out;
  };
}

/** The node a Path names, on the transport it names (relay.ts writes `transport=tcp`). */
export function pathFlow(path: string): Flow | undefined {
  const addr = parseNameAddr(path, "path");
  const uri = addr.ok ? parseSipUriString(addr.value.uri) : undefined;
  if (!uri?.ok) return undefined;
  return {
    transport: uri.value.params.get("transport")?.toLowerCase() === "tcp" ? "tcp" : "udp",
    remoteAddress: uri.value.host.replace(/^\[|\]$/g, ""),
    remotePort: uri.value.port ?? 5060,
  };
}
