/**
 * Asks a tenant's application what to do (SPEC §5): a POST signed like a callback (Standard
 * Webhooks headers, the domain's own secret), through the project's one HTTP client and its SSRF
 * guard, bounded in time (`applicationTimeoutMs`) and in concurrency per domain, so that a slow or
 * failing application delays only its own domain's calls, and never more than its timeout.
 */
import { randomUUID } from "node:crypto";
import {
  HttpClient,
  parseApplicationAnswer,
  webhookHeaders,
  type Action,
  type Allowlist,
  type Logger,
} from "@hookline/callbacks";

export type HookAnswer =
  | { ok: true; actions: Action[]; status: number; latencyMs: number }
  | { ok: false; error: string; status: number | null; latencyMs: number };

export interface HookClientOptions {
  allowlist: Allowlist;
  logger: Logger;
  /** Requests in flight per domain; more wait (within their timeout). Default 32. */
  maxPerDomain?: number;
  now?: () => number;
}

export class ApplicationHookClient {
  readonly #http: HttpClient;
  readonly #max: number;
  readonly #now: () => number;
  readonly #slots = new Map<string, { busy: number; waiting: Array<() => void> }>();

  constructor(o: HookClientOptions) {
    this.#http = new HttpClient({ allowlist: o.allowlist, logger: o.logger, totalTimeoutMs: 30_000 });
    this.#max = o.maxPerDomain ?? 32;
    this.#now = o.now ?? Date.now;
  }

  async ask(
    domainId: string,
    url: string,
    secret: string | null,
    payload: object,
    timeoutMs: number,
  ): Promise<HookAnswer> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const slot = await this.#acquire(domainId, timeoutMs);
    if (!slot)
      return {
        ok: false,
        error: "timeout: too many requests to this application",
        status: null,
        latencyMs: elapsed(),
      };
    try {
      const body = JSON.stringify(payload);
      const headers = secret ? webhookHeaders({ secret }, `msg_${randomUUID()}`, body, this.#now()) : {};
      const left = Math.max(1, timeoutMs - elapsed());
      const r = await this.#http.post(new URL(url), body, headers, left);
      if (r.status === null) {
        const kind = r.errorCode === "HOOKLINE_TIMEOUT" ? "timeout" : connectionError(r.errorCode);
        return {
          ok: false,
          error: `${kind}: ${r.error ?? "no response"}`,
          status: null,
          latencyMs: elapsed(),
        };
      }
      if (r.status < 200 || r.status > 299)
        return { ok: false, error: `non-2xx: HTTP ${r.status}`, status: r.status, latencyMs: elapsed() };
      const parsed = parseApplicationAnswer(r.body);
      return parsed.ok
        ? { ok: true, actions: parsed.actions, status: r.status, latencyMs: elapsed() }
        : { ok: false, error: parsed.error, status: r.status, latencyMs: elapsed() };
    } finally {
      this.#release(domainId);
    }
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  /** A request slot of the domain, or false when none freed up within `timeoutMs`. */
  #acquire(domainId: string, timeoutMs: number): Promise<boolean> {
    let s = this.#slots.get(domainId);
    if (!s) this.#slots.set(domainId, (s = { busy: 0, waiting: [] }));
    if (s.busy < this.#max) {
      s.busy++;
      return Promise.resolve(true);
    }
    const slots = s;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        slots.waiting.splice(slots.waiting.indexOf(wake), 1);
        resolve(false);
      }, timeoutMs);
      slots.waiting.push(wake);
    });
  }

  #release(domainId: string): void {
    const s = this.#slots.get(domainId);
    if (!s) return;
    const next = s.waiting.shift();
    if (next) return next(); // the slot passes on: busy stays the same
    if (--s.busy === 0) this.#slots.delete(domainId);
  }
}

function connectionError(code: string | null): string {
  if (code === "HOOKLINE_SSRF_BLOCKED") return "refused by the SSRF rules";
  if (code === "ECONNREFUSED" || code === "UND_ERR_SOCKET") return "connection refused";
  return "connection failed";
}
