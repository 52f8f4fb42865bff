/**
 * The cluster as the nodes table tells it (SPEC §2: each part can run as its own process): who is
 * up and who is lost. One rule for every reader (the gateway's heartbeat, the console, /metrics):
 * a node is lost once its last heartbeat is more than LOST_AFTER_HEARTBEATS of its own intervals
 * old, or once a survivor has claimed it. Queries go through drizzle's builder only, awaited, so
 * they read the same on either dialect.
 */
import { asc } from "drizzle-orm";
import type { ClusterNode, NodeRole } from "./schema/nodes.js";
import type { Store } from "./store.js";

/** Heartbeats a node may miss before it counts as lost. */
export const LOST_AFTER_HEARTBEATS = 3;

export type NodeState = "up" | "lost";

/** Every role, in the order `roles` lists them. */
export const NODE_ROLES: readonly NodeRole[] = ["gateway", "console", "delivery"];

export function nodeState(
  node: Pick<ClusterNode, "heartbeatAt" | "heartbeatMs" | "lostAt">,
  now: number,
): NodeState {
  if (node.lostAt !== null) return "lost";
  return now - node.heartbeatAt > LOST_AFTER_HEARTBEATS * node.heartbeatMs ? "lost" : "up";
}

export interface ClusterNodeView extends ClusterNode {
  state: NodeState;
}

/** Every node the table knows, oldest start first, with its state at `now`. */
export async function listClusterNodes({ db, t }: Store, now: number): Promise<ClusterNodeView[]> {
  const { nodes } = t;
  const rows = await db.select().from(nodes).orderBy(asc(nodes.startedAt), asc(nodes.id));
  return rows.map((n) => ({ ...n, state: nodeState(n, now) }));
}
