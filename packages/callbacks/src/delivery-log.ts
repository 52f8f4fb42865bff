/**
 * Writes the outcome of delivery attempts (the log `GET /v1/deliveries/:id` reads) through the
 * group commit, and keeps callbacks' delivery-side view (URL, secrets, enabled) in a short cache.
 */
import type { Database } from "@hookline/db";
import { eq, orderedId } from "@hookline/db";
import type { GroupCommit } from "./group-commit.js";
import type { HttpResult } from "./http/client.js";
import type { Logger } from "./logger.js";
import type { PendingDelivery } from "./pending-delivery.js";
import { statements } from "./statements.js";
import { tables } from "./tables.js";

const EXCERPT_BYTES = 1024;
/** Edits through the API (new URL, rotated secret, disabled) reach the dispatcher within this. */
const CALLBACK_CACHE_MS = 1000;

export interface CallbackInfo {
  url: URL | null;
  enabled: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  loadedAt: number;
}

export type DeliveryState = "pending" | "succeeded" | "failed";

export class DeliveryLog {
  readonly #db: Database;
  readonly #group: GroupCommit;
  readonly #logger: Logger;
  readonly #s;
  readonly #callbacks = new Map<string, CallbackInfo>();

  constructor(db: Database, group: GroupCommit, logger: Logger) {
    this.#db = db;
    this.#group = group;
    this.#logger = logger;
    this.#s = statements(db);
  }

  eventBody(eventId: string): string | undefined {
    return this.#s.eventBody.get({ id: eventId })?.body;
  }

  /** One attempt row plus the delivery's new state, in the next group commit. */
  recordAttempt(
    d: PendingDelivery,
    attempt: number,
    startedAt: number,
    res: HttpResult,
    state: DeliveryState,
    error: string | null,
  ): void {
    const excerpt =
      res.body === "" ? null : Buffer.from(res.body).subarray(0, EXCERPT_BYTES).toString("utf8");
    const attemptError =
      res.error ??
      (res.status !== null && (res.status < 200 || res.status >= 300) ? `HTTP ${res.status}` : null);
    const s = this.#s;
    void this.#group
      .run(() => {
        s.insertAttempt.run({
          id: orderedId("att"),
          deliveryId: d.id,
          attempt,
          startedAt,
          latencyMs: res.latencyMs,
          statusCode: res.status,
          responseExcerpt: excerpt,
          error: attemptError,
        });
        s.updateDelivery.run({
          id: d.id,
          status: state,
          attemptCount: attempt,
          lastAttemptAt: startedAt,
          lastStatusCode: res.status,
          lastError: state === "succeeded" ? null : (error ?? attemptError),
          nextAttemptAt: state === "pending" ? d.nextAttemptAt : null,
          completedAt: state === "pending" ? null : Date.now(),
        });
      })
      .catch(() => {});
  }

  /** A delivery that ends without (another) attempt: callback gone or disabled, event missing. */
  recordFailed(deliveryId: string, error: string): void {
    const { deliveries } = tables(this.#db);
    void this.#group
      .run((tx) =>
        tx
          .update(deliveries)
          .set({ status: "failed", lastError: error, nextAttemptAt: null, completedAt: Date.now() })
          .where(eq(deliveries.id, deliveryId))
          .run(),
      )
      .catch(() => {});
  }

  disableCallback(callbackId: string, reason: string): void {
    const { callbacks } = tables(this.#db);
    this.#db
      .update(callbacks)
      .set({ enabled: false, disabledReason: reason, updatedAt: Date.now() })
      .where(eq(callbacks.id, callbackId))
      .run();
    this.#callbacks.delete(callbackId);
    this.#logger.warn({ callbackId, reason }, "callback disabled");
  }

  callback(id: string): CallbackInfo | null {
    const now = Date.now();
    const cached = this.#callbacks.get(id);
    if (cached && now - cached.loadedAt < CALLBACK_CACHE_MS) return cached;
    const row = this.#s.callbackById.get({ id });
    if (!row) {
      this.#callbacks.delete(id);
      return null;
    }
    const info: CallbackInfo = {
      url: URL.canParse(row.url) ? new URL(row.url) : null,
      enabled: row.enabled,
      secret: row.secret,
      previousSecret: row.previousSecret,
      previousSecretExpiresAt: row.previousSecretExpiresAt,
      loadedAt: now,
    };
    this.#callbacks.set(id, info);
    return info;
  }
}
