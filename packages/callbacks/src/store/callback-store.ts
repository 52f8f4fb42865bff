/**
 * The engine's storage port: everything the callback engine reads and writes, in one interface
 * with one implementation per database. SQLite (sqlite-store.ts, the default) is synchronous and
 * has one dispatcher per database that owns every pending delivery; PostgreSQL (pg-store.ts) is
 * asynchronous and lets several delivery nodes claim deliveries with leases (SPEC §4: at least
 * once, the same `webhook-id` on every try, `seq` order per call and URL).
 */
import { orderedId, type Callback } from "@hookline/db";
import type { HttpResult } from "../http/client.js";
import type { PendingDelivery } from "../pending-delivery.js";

/** A callback's delivery-side view: where to send, with which secrets, whether it is still on. */
export interface CallbackInfo {
  url: URL | null;
  enabled: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  loadedAt: number;
}

export type DeliveryState = "pending" | "succeeded" | "failed";

/** One accepted event and its deliveries (one per matching callback), written together. */
export interface OutboxWrite {
  eventId: string;
  accountId: string;
  callId: string | null;
  seq: number | null;
  type: string;
  body: string;
  createdAt: number;
  deliveries: readonly PendingDelivery[];
}

/**
 * The matcher's reads (matcher.ts), synchronous so one batch of events is matched in one go.
 * An asynchronous database loads what a batch needs first, in `prepare`.
 */
export interface CallbacksReader {
  /** Loads what `version`, `accountCallbacks` and `callCallbacks` answer for these events. */
  prepare?(keys: ReadonlyArray<{ accountId: string; callId: string | null }>): Promise<void>;
  /** The account's change counter (`callbacks_version`, bumped by triggers); 0 when none. */
  version(accountId: string): number;
  /** The account's own enabled callbacks (not those of its calls). */
  accountCallbacks(accountId: string): Callback[];
  /** One call's own enabled callbacks. */
  callCallbacks(accountId: string, callId: string): Callback[];
}

/** SQLite: this process's dispatcher is the only one on the database and owns every pending delivery. */
export interface OwnedDeliveries {
  readonly kind: "owned";
  /** Every pending delivery (after a crash, including the ones that were in flight). */
  loadPending(): PendingDelivery[];
  /** Ids of pending deliveries due in (since, now]: cheap, most are this process's own. */
  dueIds(since: number, now: number): string[];
  /** The same deliveries in full. */
  due(since: number, now: number): PendingDelivery[];
  callback(id: string): CallbackInfo | null;
  eventBody(eventId: string): string | undefined;
}

/** PostgreSQL: deliveries are claimed with a lease by any of several delivery nodes. */
export interface LeasedDeliveries {
  readonly kind: "leased";
  /** This node's id, written as `lease_owner`. */
  readonly node: string;
  readonly leaseMs: number;
  /**
   * Claims up to `limit` lane heads that are due and not leased (or whose lease expired), each
   * with its body, its callback and `leaseUntil`.
   */
  claim(limit: number, now: number): Promise<ClaimedDelivery[]>;
  /** Gives back this node's leases on deliveries it claimed and did not attempt. */
  release(ids: readonly string[]): Promise<void>;
  /**
   * Calls `wake` when another process wrote new deliveries (LISTEN/NOTIFY), so they are claimed
   * without waiting for the next poll; resolves to a function that stops listening.
   */
  listen(wake: () => void): Promise<() => Promise<void>>;
}

export interface ClaimedDelivery extends PendingDelivery {
  leaseUntil: number;
  body: string;
  callback: CallbackInfo | null;
}

export interface CallbackStore {
  readonly dialect: "sqlite" | "postgres";
  readonly reader: CallbacksReader;
  readonly deliveries: OwnedDeliveries | LeasedDeliveries;
  /** Resolves once the event and its deliveries are durable (group-committed). */
  writeOutbox(write: OutboxWrite): Promise<void>;
  /** One attempt row plus the delivery's new state, written in the next batch. */
  recordAttempt(
    d: PendingDelivery,
    attempt: number,
    startedAt: number,
    res: HttpResult,
    state: DeliveryState,
    error: string | null,
  ): void;
  /** A delivery that ends without (another) attempt: callback gone or disabled, event missing. */
  recordFailed(deliveryId: string, error: string): void;
  disableCallback(callbackId: string, reason: string): void;
  /** Commits every write queued so far. */
  flush(): Promise<void>;
  /** Called after each batch of results is committed (the PostgreSQL dispatcher claims then). */
  onResultsCommitted?: (() => void) | undefined;
  /** Writes queued and not yet committed (while the database refuses them: all of them). */
  readonly waiting: number;
  readonly commits: number;
  readonly maxCommitMs: number;
  /** Closes what the store itself opened (not the database it was given). */
  close(): Promise<void>;
}

/** The first bytes of a receiver's answer kept in the delivery log (SPEC §3: response excerpt). */
export const EXCERPT_BYTES = 1024;

export function responseExcerpt(res: HttpResult): string | null {
  return res.body === "" ? null : Buffer.from(res.body).subarray(0, EXCERPT_BYTES).toString("utf8");
}

export function attemptError(res: HttpResult): string | null {
  return (
    res.error ??
    (res.status !== null && (res.status < 200 || res.status >= 300) ? `HTTP ${res.status}` : null)
  );
}

/** An attempt's row and the delivery's new state, as either store writes them (SPEC §3, delivery log). */
export function attemptRows(
  d: PendingDelivery,
  attempt: number,
  startedAt: number,
  res: HttpResult,
  state: DeliveryState,
  error: string | null,
) {
  const attemptErr = attemptError(res);
  return {
    attempt: {
      id: orderedId("att"),
      deliveryId: d.id,
      attempt,
      startedAt,
      latencyMs: res.latencyMs,
      statusCode: res.status,
      responseExcerpt: responseExcerpt(res),
      error: attemptErr,
    },
    delivery: {
      id: d.id,
      status: state,
      attemptCount: attempt,
      lastAttemptAt: startedAt,
      lastStatusCode: res.status,
      lastError: state === "succeeded" ? null : (error ?? attemptErr),
      nextAttemptAt: state === "pending" ? d.nextAttemptAt : null,
      completedAt: state === "pending" ? null : Date.now(),
    },
  };
}

/** An accepted event's outbox row and its deliveries' rows, as either store writes them. */
export function outboxRows(w: OutboxWrite) {
  const { eventId, accountId, callId, seq, type, body, createdAt } = w;
  return {
    event: { id: eventId, accountId, callId, seq, type, body, createdAt },
    deliveries: w.deliveries.map((p) => ({
      id: p.id,
      eventId,
      callbackId: p.callbackId,
      accountId: p.accountId,
      callId,
      seq,
      eventType: type,
      createdAt,
    })),
  };
}
