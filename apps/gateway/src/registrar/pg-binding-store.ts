/**
 * The registrations table's writer on PostgreSQL (SPEC §2, several nodes on one database): the
 * group commit of binding-store.ts, asynchronous. The changes queued during one turn of the event
 * loop are committed in one transaction, transactions one after another in queue order, and each
 * change is called back after its commit, so the registrar still answers 200 only for a durable
 * binding (RFC 3261 §10.3 step 8) without waiting on the database inside a turn. A transaction
 * that fails is tried again one change at a time.
 */
import { and, eq, gt, inArray, lte, or, type Registration } from "@hookline/db";
import { pgSchema, type PgDatabase } from "@hookline/db/pg";
import { log } from "@hookline/log";
import { sql } from "drizzle-orm";
import type { Flow } from "../transport/types.js";
import { parseSource, reachFlow } from "./binding.js";
import {
  callBack,
  CONNECTION_BOUND,
  ownRows,
  REFRESHED,
  type BindingStore,
  type BindingWrite,
  type Change,
} from "./binding-store.js";

const registrarLog = log.child({ component: "registrar" });
const { registrations } = pgSchema;

type Tx = Parameters<Parameters<PgDatabase["transaction"]>[0]>[0];

export class PgBindingStore implements BindingStore {
  readonly #db: PgDatabase;
  #queue: Change[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #inFlight = 0;
  #commits = 0;
  #chain: Promise<void> = Promise.resolve();
  readonly #nodeId: string | null;
  readonly #pathFor: PathFor | undefined;

  /**
   * `nodeId`: the gateway node whose bindings these are (SPEC §2 HOOKLINE_NODE_ID); `pathFor`:
   * the Path (RFC 3327) other nodes reach a binding's flow through (cluster/relay.ts).
   */
  constructor(db: PgDatabase, nodeId: string | null = null, pathFor?: PathFor) {
    this.#db = db;
    this.#nodeId = nodeId;
    this.#pathFor = pathFor;
  }

  get commits(): number {
    return this.#commits;
  }

  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  write(writes: readonly BindingWrite[], done: (err: unknown) => void): void {
    this.#queue.push({ writes, done });
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#inFlight += batch.length;
    // The sweep's table-wide delete commits on its own: in one transaction with another node's
    // REGISTERs it could lock rows in the other order and deadlock with it.
    for (const part of apart(batch, (c) => c.writes.some((w) => w.kind === "expire")))
      this.#chain = this.#chain.then(() => this.#run(part));
  }

  idle(): Promise<void> {
    this.flush();
    return this.#chain;
  }

  async restore(now: number): Promise<Registration[]> {
    await this.idle();
    const own = ownRows(registrations.nodeId, this.#nodeId);
    await this.#db
      .delete(registrations)
      .where(
        and(
          own,
          or(lte(registrations.expiresAt, now), inArray(registrations.transport, [...CONNECTION_BOUND])),
        ),
      );
    return this.#db
      .select()
      .from(registrations)
      .where(and(own, gt(registrations.expiresAt, now)));
  }

  /**
   * Writes the Path of this node's rows again, once it listens: the rows restored from a previous
   * run may name an address, a port or a token secret this run no longer has.
   */
  async repath(): Promise<void> {
    const pathFor = this.#pathFor;
    if (!pathFor || this.#nodeId === null) return;
    const rows = await this.#db.select().from(registrations).where(eq(registrations.nodeId, this.#nodeId));
    const changed = rows.flatMap((row) => {
      const path = pathOf(row, pathFor);
      return path === row.path ? [] : [{ id: row.id, path }];
    });
    if (changed.length === 0) return;
    // One commit for all of them (usually none: the same address, port and secret as before).
    await this.#db.transaction(async (tx) => {
      for (const { id, path } of changed)
        await tx.update(registrations).set({ path }).where(eq(registrations.id, id));
    });
  }

  async #run(batch: Change[]): Promise<void> {
    const errors = new Map<Change, unknown>();
    try {
      await this.#commit(batch);
    } catch (err) {
      registrarLog.warn({ err, changes: batch.length }, "binding writes failed together; trying each alone");
      for (const change of batch) {
        try {
          await this.#commit([change]);
        } catch (e) {
          errors.set(change, e);
        }
      }
    }
    this.#inFlight -= batch.length;
    callBack(batch, errors);
  }

  async #commit(changes: readonly Change[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      // One statement per write, in order: a turn may save and then remove the same contact.
      for (const change of changes)
        for (const w of change.writes) await apply(tx, w, this.#nodeId, this.#pathFor);
    });
    this.#commits++;
  }
}

export type PathFor = (flow: Flow) => string;

async function apply(tx: Tx, w: BindingWrite, nodeId: string | null, pathFor?: PathFor): Promise<void> {
  if (w.kind === "remove") {
    // Only this node's row: a binding that moved to another node (its phone registered there)
    // stays when this node sees its old connection close.
    await tx
      .delete(registrations)
      .where(
        and(
          eq(registrations.aor, w.aor),
          eq(registrations.contact, w.contact),
          ownRows(registrations.nodeId, nodeId),
        ),
      );
  } else if (w.kind === "expire") {
    await tx.delete(registrations).where(lte(registrations.expiresAt, w.at));
  } else {
    const { now, ...row } = w.row;
    const path = pathFor ? pathOf(row, pathFor) : null;
    await tx
      .insert(registrations)
      .values({ ...row, nodeId, path, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: [registrations.aor, registrations.contact],
        set: REFRESH,
      });
  }
}

/** What a refresh overwrites, from PostgreSQL's EXCLUDED row (the values the insert would have written). */
const REFRESH = Object.fromEntries(
  [...REFRESHED, "path" as const].map((key) => [key, sql.raw(`excluded."${registrations[key].name}"`)]),
);

/** The Path of a row: the flow this node itself reaches the contact on (binding.ts reachFlow). */
function pathOf(
  row: Pick<Registration, "contact" | "transport" | "source" | "connectionId">,
  pathFor: PathFor,
): string | null {
  const source = parseSource(row.source);
  if (source === undefined) return null;
  return pathFor(
    reachFlow(row.contact, {
      transport: row.transport,
      remoteAddress: source.address,
      remotePort: source.port,
      ...(row.connectionId !== null && { connectionId: row.connectionId }),
    }),
  );
}

/** `changes` in queue order, as runs of ordinary changes with each `alone` change by itself. */
function apart(changes: Change[], alone: (c: Change) => boolean): Change[][] {
  const parts: Change[][] = [];
  let run: Change[] = [];
  for (const change of changes) {
    if (!alone(change)) {
      run.push(change);
      continue;
    }
    if (run.length > 0) parts.push(run);
    parts.push([change]);
    run = [];
  }
  if (run.length > 0) parts.push(run);
  return parts;
}
