/** Deliveries as the REST API answers them (routes/deliveries.ts), for the pages. */
export type DeliveryStatus = "pending" | "succeeded" | "failed";
export const STATUSES: readonly DeliveryStatus[] = ["pending", "succeeded", "failed"];

export interface DeliveryView {
  id: string;
  callbackId: string;
  eventId: string;
  eventType: string;
  callId: string | null;
  seq: number | null;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface AttemptView {
  attempt: number;
  time: string;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

export interface DeliveryDetailView extends DeliveryView {
  event: { id: string; type: string; body: unknown };
  attempts: AttemptView[];
}

export const PAGE_SIZE = 50;

/** `?status=&callback=&before=` as the list keeps them; anything else is dropped. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  callback?: string;
  before?: string;
}

export function readFilter(q: (name: string) => string | undefined): DeliveryFilter {
  const f: DeliveryFilter = {};
  const status = q("status");
  if (status && (STATUSES as readonly string[]).includes(status)) f.status = status as DeliveryStatus;
  const callback = q("callback");
  if (callback) f.callback = callback;
  const before = q("before");
  if (before && !Number.isNaN(Date.parse(before))) f.before = before;
  return f;
}

export function filterQuery(f: DeliveryFilter, limit = PAGE_SIZE): string {
  const p = new URLSearchParams();
  if (f.callback) p.set("callback", f.callback);
  if (f.status) p.set("status", f.status);
  if (f.before) p.set("before", f.before);
  if (limit) p.set("limit", String(limit));
  return p.toString();
}
