/**
 * The location service (RFC 3261 §10.3): bindings per address of record, held in memory for
 * lookups on every call and mirrored to the `registrations` table (for the API, and to survive a
 * restart where the contact can still be reached). Time is injected; expiry is a `sweep()`.
 * A REGISTER's change takes effect in memory at once (so the next REGISTER of the same turn sees
 * it) and is committed with the other changes of its turn (binding-store.ts); `update()` resolves
 * after that commit, and a change whose commit failed is undone and answered 500. A closed
 * connection's removals are committed the same way.
 */
import type { EventBus } from "@hookline/callbacks";
import { newId } from "@hookline/db";
import type { SipUri } from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import type { Binding } from "./binding.js";
import { reachFlow, sameBinding } from "./binding.js";
import { fromRow, toRow } from "./binding-rows.js";
import type { BindingStore, BindingWrite } from "./binding-store.js";
import { publishRegistration } from "./registration-events.js";
import { log } from "@hookline/log";

const registrarLog = log.child({ component: "registrar" });

/** One Contact of a REGISTER, after the registrar computed its expiry (§10.3 step 7). */
export interface ContactChange {
  readonly uri: string;
  readonly parsed: SipUri;
  /** Seconds; 0 removes the binding. */
  readonly expires: number;
  readonly instanceId?: string | undefined;
  readonly regId?: string | undefined;
  readonly q?: number | undefined;
}

export interface BindingUpdate {
  readonly accountId: string;
  readonly domainId: string;
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  readonly source: Flow;
  readonly userAgent?: string | undefined;
  /** The Contacts, or `"*"` for `Contact: *` with `Expires: 0` (remove all, §10.2.2). */
  readonly contacts: readonly ContactChange[] | "*";
}

export type BindingUpdateResult =
  { ok: true; bindings: Binding[] } | { ok: false; status: 403 | 500; reason: string };

export interface LocationServiceOptions {
  /** The registrations table's writer (binding-store.ts: SQLite's, or PostgreSQL's). */
  readonly store: BindingStore;
  readonly bus?: EventBus | undefined;
  readonly now?: () => number;
  /** Bound on contacts per AOR; a REGISTER that would pass it gets 403. Default 10. */
  readonly maxContactsPerAor?: number;
}

type Plan = { remove: Binding[]; save: Array<{ binding: Binding; previous: Binding | undefined }> };

export class LocationService {
  readonly #store: BindingStore;
  readonly #bus: EventBus | undefined;
  readonly #now: () => number;
  readonly #maxContacts: number;
  readonly #byAor = new Map<string, Binding[]>();
  readonly #byConnection = new Map<string, Set<string>>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: LocationServiceOptions) {
    this.#store = options.store;
    this.#bus = options.bus;
    this.#now = options.now ?? Date.now;
    this.#maxContacts = options.maxContactsPerAor ?? 10;
  }

  /** Number of bindings held (expired ones until the next sweep included). */
  get size(): number {
    let n = 0;
    for (const list of this.#byAor.values()) n += list.length;
    return n;
  }

  /**
   * Reloads the bindings persisted by a previous run, except those that cannot be reached any
   * more: WebSocket ones (the connection died with the process) and expired ones, which are
   * deleted. TCP bindings lose their connection and are reached by address. Returns the count.
   */
  async restore(): Promise<number> {
    const now = this.#now();
    this.#byAor.clear();
    this.#byConnection.clear();
    const rows = await this.#store.restore(now);
    let restored = 0;
    for (const row of rows) {
      const binding = fromRow(row);
      if (binding === undefined) continue;
      this.#insert(binding);
      restored++;
    }
    return restored;
  }

  /** Current (unexpired) bindings of an AOR, preferred first (higher q, then most recent). */
  bindings(aor: string): Binding[] {
    const now = this.#now();
    return (this.#byAor.get(aor) ?? [])
      .filter((b) => b.expiresAt > now)
      .sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.createdAt - a.createdAt);
  }

  /** Where to send a request for `user@domain`: every current contact with the flow reaching it. */
  lookup(domain: string, user: string): Binding[] {
    return this.bindings(aorOf(user, domain));
  }

  /**
   * Applies the Contacts of one REGISTER atomically (RFC 3261 §10.3 steps 7–8): all or nothing,
   * in the database and in memory. A binding with the same Call-ID and a CSeq not higher than
   * the stored one aborts the whole update (§10.3 step 7: out-of-order request, 500). Memory
   * changes now; the result comes once the change is committed (with the others of this turn).
   */
  update(update: BindingUpdate): Promise<BindingUpdateResult> {
    const now = this.#now();
    const plan = this.#plan(update, now);
    if (!("remove" in plan)) return Promise.resolve(plan);
    this.#change(plan);
    return new Promise((resolve) => {
      this.#store.write(this.#writes(plan, now), (err) => {
        if (err !== undefined) {
          this.#undo(plan);
          registrarLog.error({ err, aor: update.aor }, "binding not stored");
          resolve({ ok: false, status: 500, reason: "Server Internal Error (binding not stored)" });
          return;
        }
        this.#publish(plan, now);
        resolve({ ok: true, bindings: this.bindings(update.aor) });
      });
    });
  }

  /** Commits the changes queued and not yet committed now (rather than at the end of the turn). */
  flush(): void {
    this.#store.flush();
  }

  #plan(update: BindingUpdate, now: number): Plan | Extract<BindingUpdateResult, { ok: false }> {
    const current = this.bindings(update.aor);
    const plan: Plan = { remove: [], save: [] };
    const outOfOrder = (b: Binding) => b.callId === update.callId && update.cseq <= b.cseq;
    const refused = {
      ok: false,
      status: 500,
      reason: "CSeq not higher than the binding's for this Call-ID",
    } as const;
    if (update.contacts === "*") {
      if (current.some(outOfOrder)) return refused;
      plan.remove.push(...current);
    } else {
      const kept = new Set(current);
      for (const change of update.contacts) {
        const previous = current.find((b) => sameBinding(b, change));
        if (previous !== undefined && outOfOrder(previous)) return refused;
        if (previous !== undefined) kept.delete(previous);
        if (change.expires === 0) {
          if (previous !== undefined) plan.remove.push(previous);
          continue;
        }
        plan.save.push({ binding: this.#newBinding(update, change, previous, now), previous });
      }
      if (kept.size + plan.save.length > this.#maxContacts) {
        return { ok: false, status: 403, reason: `more than ${this.#maxContacts} contacts for one AOR` };
      }
    }
    return plan;
  }

  /**
   * Removes the bindings that a closed connection made unreachable: WebSocket ones (RFC 7118 §5:
   * nothing can open a connection toward a browser) and RFC 5626 outbound flows (`reg-id`,
   * §4.4). A plain TCP phone's binding stays: it is reached again at its contact's address.
   * Memory changes now; the rows go with the next commit (many connections closing at once make
   * one transaction), and `registration.removed` follows that commit.
   */
  removeConnection(connectionId: string): number {
    const aors = this.#byConnection.get(connectionId);
    if (aors === undefined) return 0;
    const gone: Binding[] = [];
    for (const aor of aors) {
      for (const b of this.#byAor.get(aor) ?? []) {
        if (b.source.connectionId !== connectionId) continue;
        if (b.source.transport === "tcp" && b.regId === undefined) continue;
        gone.push(b);
      }
    }
    const now = this.#now();
    const plan: Plan = { remove: gone, save: [] };
    this.#change(plan);
    this.#byConnection.delete(connectionId);
    if (gone.length > 0) {
      this.#store.write(this.#writes(plan, now), (err) => {
        // The bindings cannot be reached any more, so they stay out of memory; their rows go at
        // expiry (sweep) or at the next start (restore).
        if (err !== undefined)
          registrarLog.error({ err, connectionId }, "closed connection's bindings not deleted");
        this.#publish(plan, now);
      });
    }
    return gone.length;
  }

  /** Drops expired bindings (memory and database) and publishes `registration.expired`. */
  sweep(): number {
    const now = this.#now();
    const expired: Binding[] = [];
    for (const list of this.#byAor.values()) for (const b of list) if (b.expiresAt <= now) expired.push(b);
    this.#store.write([{ kind: "expire", at: now }], (err) => {
      if (err !== undefined) registrarLog.error({ err }, "expired bindings' rows not deleted");
    });
    this.#store.flush();
    for (const b of expired) {
      this.#forget(b);
      publishRegistration(this.#bus, "registration.expired", b, now);
    }
    return expired.length;
  }

  /** Runs `sweep()` every `intervalMs` (unref'd timer) until `stop()`. */
  start(intervalMs = 5000): void {
    clearInterval(this.#sweeper);
    this.#sweeper = setInterval(() => {
      try {
        this.sweep();
      } catch (err) {
        registrarLog.error({ err }, "sweep of expired bindings failed");
      }
    }, intervalMs);
    this.#sweeper.unref();
  }

  /** Stops the sweeper and commits what is queued (before the database closes). */
  stop(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    return this.#store.idle();
  }

  #newBinding(u: BindingUpdate, c: ContactChange, previous: Binding | undefined, now: number): Binding {
    return {
      id: previous?.id ?? newId("reg"),
      accountId: u.accountId,
      domainId: u.domainId,
      aor: u.aor,
      contact: c.uri,
      expiresAt: now + c.expires * 1000,
      callId: u.callId,
      cseq: u.cseq,
      source: u.source,
      flow: reachFlow(c.uri, u.source),
      instanceId: c.instanceId,
      regId: c.regId,
      q: c.q,
      userAgent: u.userAgent,
      createdAt: previous?.createdAt ?? now,
    };
  }

  #writes(plan: Plan, now: number): BindingWrite[] {
    const writes: BindingWrite[] = [];
    for (const b of plan.remove) writes.push({ kind: "remove", aor: b.aor, contact: b.contact });
    for (const { binding, previous } of plan.save) {
      if (previous !== undefined && previous.contact !== binding.contact) {
        writes.push({ kind: "remove", aor: previous.aor, contact: previous.contact });
      }
      writes.push({ kind: "save", row: toRow(binding, now) });
    }
    return writes;
  }

  #change(plan: Plan): void {
    for (const b of plan.remove) this.#forget(b);
    for (const { binding, previous } of plan.save) {
      if (previous !== undefined) this.#forget(previous);
      this.#insert(binding);
    }
  }

  /**
   * Takes back a change whose write failed: its new bindings go, and what it replaced or removed
   * comes back unless a later change of the same turn holds that contact since.
   */
  #undo(plan: Plan): void {
    const restore = (b: Binding) => {
      if (!(this.#byAor.get(b.aor) ?? []).some((x) => x.contact === b.contact)) this.#insert(b);
    };
    for (const { binding } of plan.save) this.#forget(binding);
    for (const { previous } of plan.save) if (previous !== undefined) restore(previous);
    for (const b of plan.remove) restore(b);
  }

  #publish(plan: Plan, now: number): void {
    for (const b of plan.remove) publishRegistration(this.#bus, "registration.removed", b, now);
    for (const { binding, previous } of plan.save) {
      const type = previous === undefined ? "registration.created" : "registration.refreshed";
      publishRegistration(this.#bus, type, binding, now);
    }
  }

  #insert(b: Binding): void {
    const list = this.#byAor.get(b.aor);
    if (list === undefined) this.#byAor.set(b.aor, [b]);
    else list.push(b);
    const conn = b.source.connectionId;
    if (conn !== undefined) {
      const aors = this.#byConnection.get(conn);
      if (aors === undefined) this.#byConnection.set(conn, new Set([b.aor]));
      else aors.add(b.aor);
    }
  }

  #forget(b: Binding): void {
    const list = this.#byAor.get(b.aor);
    if (list === undefined) return;
    const rest = list.filter((x) => x !== b);
    if (rest.length === 0) this.#byAor.delete(b.aor);
    else this.#byAor.set(b.aor, rest);
    const conn = b.source.connectionId;
    if (conn !== undefined && !rest.some((x) => x.source.connectionId === conn)) {
      this.#byConnection.get(conn)?.delete(b.aor);
      if (this.#byConnection.get(conn)?.size === 0) this.#byConnection.delete(conn);
    }
  }
}

/** `sip:user@domain` with the domain lower-cased: the key of the location service. */
export function aorOf(user: string, domain: string): string {
  return `sip:${user}@${domain.toLowerCase()}`;
}
