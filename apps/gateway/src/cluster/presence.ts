/**
 * This node in the cluster (SPEC §2: parts as their own processes on one database): it announces
 * itself in `nodes` at start and on every heartbeat, and watches the others' heartbeats. A node
 * that misses LOST_AFTER_HEARTBEATS of its own intervals is lost: the first survivor to claim it
 * (a conditional UPDATE on the heartbeat it read, so one claim wins) ends its calls (node-lost.ts).
 * At start, the node ends the calls its own previous run left in progress.
 *
 * No consensus of its own: the database's row update is the only arbiter. Queries go through
 * drizzle's builder, awaited, so they read the same on either dialect.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  and,
  eq,
  first,
  isNull,
  LOST_AFTER_HEARTBEATS,
  ne,
  nodeState,
  type ClusterNode,
  type NodeRole,
} from "@hookline/db";
import type { Logger } from "@hookline/log";
import { endCallsOfNode, hasCallsInProgress, type NodeLostDeps } from "./node-lost.js";

export interface PresenceOptions extends NodeLostDeps {
  id: string;
  roles: readonly NodeRole[];
  version: string;
  heartbeatMs: number;
  logger: Logger;
  /** Beat every `heartbeatMs` once announced (default true); false: only `beat()` beats (tests). */
  timer?: boolean;
}

/** HOOKLINE_NODE_ID names a node that is alive: two processes would steal each other's calls. */
export class NodeIdInUseError extends Error {
  readonly code = "NODE_ID_IN_USE";
}

export class NodePresence {
  readonly #o: PresenceOptions;
  readonly #now: () => number;
  readonly #instance = randomUUID();
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #stopped = false;
  #row: ClusterNode | undefined;
  /** Calls this node ended for lost nodes (its own leftovers included), for tests and logs. */
  endedCalls = 0;

  constructor(options: PresenceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get instance(): string {
    return this.#instance;
  }

  /**
   * Refuses a live twin, then ends the calls this id's previous run left in progress. Runs before
   * the gateway records a call under this id.
   */
  async claimId(): Promise<void> {
    await this.#refuseLiveTwin();
    const leftovers = await endCallsOfNode(this.#o, this.#o.id);
    if (leftovers.length > 0) {
      this.endedCalls += leftovers.length;
      this.#o.logger.warn({ calls: leftovers.length }, "ended this node's calls left by its previous run");
    }
  }

  /** Writes the node's row once its ports are known, then beats every `heartbeatMs`. */
  async announce(addresses: { sipAddress?: string; httpAddress?: string }): Promise<void> {
    const now = this.#now();
    this.#row = {
      id: this.#o.id,
      roles: this.#o.roles.join(","),
      sipAddress: addresses.sipAddress ?? null,
      httpAddress: addresses.httpAddress ?? null,
      version: this.#o.version,
      instance: this.#instance,
      startedAt: now,
      heartbeatAt: now,
      heartbeatMs: this.#o.heartbeatMs,
      lostAt: null,
    };
    await this.#announce(this.#row);
    this.#schedule();
  }

  /** Stops beating; a graceful stop removes the row (its calls have ended: nothing to claim). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#beating;
    const {
      db,
      t: { nodes },
    } = this.#o.store;
    await db.delete(nodes).where(and(eq(nodes.id, this.#o.id), eq(nodes.instance, this.#instance)));
  }

  /** One heartbeat and one look at the others (exposed for tests; the timer calls it). */
  async beat(): Promise<void> {
    const { id } = this.#o;
    const {
      db,
      t: { nodes },
    } = this.#o.store;
    const now = this.#now();
    const [mine] = await db
      .select({ lostAt: nodes.lostAt, instance: nodes.instance })
      .from(nodes)
      .where(eq(nodes.id, id));
    if (!mine) {
      // Removed by hand while this node runs: it announces itself again.
      if (this.#row) await this.#announce({ ...this.#row, heartbeatAt: now });
    } else if (mine.instance === this.#instance) {
      if (mine.lostAt !== null) {
        // Too slow to beat (a stalled event loop, a database out of reach): a survivor has recorded
        // the calls this node carried as node-lost. They still run here; a later ending of one
        // by this node overwrites that record (the B2BUA cannot be told to drop them yet).
        this.#o.logger.error("this node was declared lost by another: its calls were recorded node-lost");
      }
      await db
        .update(nodes)
        .set({ heartbeatAt: now, lostAt: null })
        .where(and(eq(nodes.id, id), eq(nodes.instance, this.#instance)));
    }
    // Another instance holds the row: a twin started after this one's heartbeats stopped for long
    // enough to look dead. It owns the id now; this node only watches.
    await this.#claimLost(now);
  }

  async #announce(row: ClusterNode): Promise<void> {
    const { id: _id, ...update } = row;
    const {
      db,
      t: { nodes },
    } = this.#o.store;
    await db.insert(nodes).values(row).onConflictDoUpdate({ target: nodes.id, set: update });
  }

  async #claimLost(now: number): Promise<void> {
    const { id, store } = this.#o;
    const {
      db,
      t: { nodes },
    } = store;
    const others = await db.select().from(nodes).where(ne(nodes.id, id));
    for (const node of others) {
      if (node.lostAt !== null) {
        // Claimed already: ended unless the claimer died before it was done (its calls' own
        // conditional UPDATE keeps a second ending from happening twice).
        if (await hasCallsInProgress(store, node.id)) await this.#endCalls(node);
        continue;
      }
      if (nodeState(node, now) !== "lost") continue;
      // Conditional on the heartbeat read: a node that beat since, or a survivor that claimed it
      // first, makes this claim change nothing.
      const won = await db
        .update(nodes)
        .set({ lostAt: now })
        .where(and(eq(nodes.id, node.id), isNull(nodes.lostAt), eq(nodes.heartbeatAt, node.heartbeatAt)))
        .returning({ id: nodes.id });
      if (won.length > 0) await this.#endCalls(node);
    }
  }

  async #endCalls(node: ClusterNode): Promise<void> {
    const ended = await endCallsOfNode(this.#o, node.id);
    this.endedCalls += ended.length;
    this.#o.logger.warn(
      { node: node.id, lastHeartbeat: new Date(node.heartbeatAt).toISOString(), calls: ended.length },
      "node lost: its calls end with reason node-lost",
    );
  }

  #schedule(): void {
    if (this.#stopped || this.#o.timer === false) return;
    this.#timer = setTimeout(() => {
      this.#beating = this.beat()
        .catch((err: unknown) => this.#o.logger.error({ err }, "heartbeat failed"))
        .finally(() => this.#schedule());
    }, this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /**
   * A row with this id and a fresh heartbeat is this node's own past (a crash moments ago) or a
   * live twin. Waiting two of its intervals tells them apart: a twin beats (a restart within
   * seconds of a crash waits that long once).
   */
  async #refuseLiveTwin(): Promise<void> {
    const {
      db,
      t: { nodes },
    } = this.#o.store;
    const read = async () => first(await db.select().from(nodes).where(eq(nodes.id, this.#o.id)).limit(1));
    const before = await read();
    if (!before || nodeState(before, this.#now()) === "lost") return;
    await sleep(2 * before.heartbeatMs);
    const after = await read();
    if (after && (after.heartbeatAt !== before.heartbeatAt || after.instance !== before.instance)) {
      throw new NodeIdInUseError(
        `HOOKLINE_NODE_ID: node "${this.#o.id}" is running (it beat within ${LOST_AFTER_HEARTBEATS * after.heartbeatMs} ms): give this process an id of its own`,
      );
    }
  }
}
