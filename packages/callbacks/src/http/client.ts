/**
 * The only HTTP client of the project (STYLE: one resource, one I/O module). One undici Agent,
 * which keeps a keep-alive pool per origin; every socket goes through the SSRF-guarded connector.
 * Redirects are not followed (undici 7 follows none without the redirect interceptor): a 3xx is
 * a failed attempt. At most `maxResponseBytes` of a response are read; the whole exchange is
 * bounded by `totalTimeoutMs`, so a receiver that never answers or streams forever costs one
 * connection for at most that long.
 */
import { Agent } from "undici";
import type { Dispatcher } from "undici";
import type { Logger } from "../logger.js";
import type { Allowlist } from "../ssrf.js";
import type { Resolver } from "./guarded-connector.js";
import { guardedConnector } from "./guarded-connector.js";

export interface HttpClientOptions {
  allowlist: Allowlist;
  logger: Logger;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  totalTimeoutMs?: number;
  maxResponseBytes?: number;
  connectionsPerOrigin?: number;
  resolver?: Resolver;
}

export interface HttpResult {
  /** Null when no response arrived (connect error, timeout, refused by SSRF rules). */
  status: number | null;
  headers: Record<string, string>;
  latencyMs: number;
  /** The first bytes of the response body, as text. */
  body: string;
  error: string | null;
  /** `HOOKLINE_SSRF_BLOCKED`, undici's `UND_ERR_*`, `HOOKLINE_TIMEOUT`... */
  errorCode: string | null;
}

export class HttpClient {
  readonly #agent: Agent;
  readonly #totalTimeoutMs: number;
  readonly #headersTimeoutMs: number;
  readonly #maxResponseBytes: number;

  constructor(options: HttpClientOptions) {
    this.#totalTimeoutMs = options.totalTimeoutMs ?? 10_000;
    this.#headersTimeoutMs = Math.min(options.headersTimeoutMs ?? 10_000, this.#totalTimeoutMs);
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.#agent = new Agent({
      connections: options.connectionsPerOrigin ?? 32,
      keepAliveTimeout: 4_000,
      connect: guardedConnector({
        allowlist: options.allowlist,
        logger: options.logger,
        connectTimeoutMs: Math.min(options.connectTimeoutMs ?? 5_000, this.#totalTimeoutMs),
        ...(options.resolver ? { resolver: options.resolver } : {}),
      }),
    });
  }

  /**
   * POSTs `body`; never throws. `timeoutMs` (at most the client's total) bounds this exchange. Uses undici's dispatch API with a small handler rather than
   * `request()`: no AbortSignal, Readable body or async iterator per request (measured: those were
   * ~10% of the engine's CPU at saturation). The total timeout aborts through the dispatch
   * controller; a response over `maxResponseBytes` is cut there and its connection dropped.
   */
  post(url: URL, body: string, headers: Record<string, string>, timeoutMs?: number): Promise<HttpResult> {
    const started = performance.now();
    const total = Math.min(timeoutMs ?? this.#totalTimeoutMs, this.#totalTimeoutMs);
    const max = this.#maxResponseBytes;
    return new Promise<HttpResult>((resolve) => {
      let status: number | null = null;
      let responseHeaders: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let read = 0;
      let controller: Dispatcher.DispatchController | null = null;
      let reason: Error | null = null;
      let cut = false;
      let settled = false;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const e = reason ?? error;
        const code = (e as { code?: unknown } | null)?.code;
        resolve(
          this.#result(
            status,
            responseHeaders,
            started,
            chunks,
            e ? e.message : null,
            e ? (typeof code === "string" ? code : "HOOKLINE_HTTP_ERROR") : null,
          ),
        );
      };
      const abort = (why: Error) => {
        reason ??= why;
        controller?.abort(why);
      };
      const timer = setTimeout(() => abort(new TimeoutError(total)), total);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (reason) c.abort(reason);
        },
        onResponseStart(_c, statusCode, h) {
          if (statusCode < 200) return; // 1xx: the final response follows
          status = statusCode;
          responseHeaders = flattenHeaders(h);
        },
        onResponseData(c, chunk) {
          if (cut) return;
          const room = max - read;
          chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          read += Math.min(chunk.length, room);
          if (read >= max) {
            // Enough: the rest is not ours to buffer. Aborting drops this connection only.
            cut = true;
            c.abort(new ResponseCutError());
          }
        },
        onResponseEnd() {
          finish(null);
        },
        onResponseError(_c, err) {
          finish(cut && !reason ? null : err);
        },
      };
      try {
        this.#agent.dispatch(
          {
            origin: url.origin,
            path: url.pathname + url.search,
            method: "POST",
            headers: { ...HEADERS, ...headers },
            body,
            headersTimeout: Math.min(this.#headersTimeoutMs, total),
            bodyTimeout: total,
          },
          handler,
        );
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  #result(
    status: number | null,
    headers: Record<string, string>,
    started: number,
    chunks: Buffer[],
    error: string | null,
    errorCode: string | null,
  ): HttpResult {
    return {
      status,
      headers,
      latencyMs: Math.round(performance.now() - started),
      body: Buffer.concat(chunks).toString("utf8"),
      error,
      errorCode,
    };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async destroy(): Promise<void> {
    await this.#agent.destroy();
  }
}

const HEADERS = { "content-type": "application/json", "user-agent": "Hookline-Webhooks/0.1" };

class ResponseCutError extends Error {
  constructor() {
    super("response body over the read limit");
    this.name = "ResponseCutError";
  }
}

class TimeoutError extends Error {
  readonly code = "HOOKLINE_TIMEOUT";
  constructor(ms: number) {
    super(`no complete response within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
