/**
 * The only HTTP client of the project (STYLE: one resource, one I/O module). One undici Agent,
 * which keeps a keep-alive pool per origin; every socket goes through the SSRF-guarded connector.
 * Redirects are not followed (undici 7 follows none without the redirect interceptor): a 3xx is
 * a failed attempt. At most `maxResponseBytes` of a response are read; the whole exchange is
 * bounded by `totalTimeoutMs`, so a receiver that never answers or streams forever costs one
 * connection for at most that long.
 */
import { Agent } from "undici";
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

  /** POSTs `body`; never throws. */
  async post(url: URL, body: string, headers: Record<string, string>): Promise<HttpResult> {
    const started = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new TimeoutError(this.#totalTimeoutMs)), this.#totalTimeoutMs);
    let status: number | null = null;
    let responseHeaders: Record<string, string> = {};
    const chunks: Buffer[] = [];
    try {
      const res = await this.#agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "Hookline-Webhooks/0.1", ...headers },
        body,
        signal: abort.signal,
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: this.#totalTimeoutMs,
      });
      status = res.statusCode;
      responseHeaders = flattenHeaders(res.headers);
      let read = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = this.#maxResponseBytes - read;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        read += Math.min(chunk.length, room);
        if (read >= this.#maxResponseBytes) {
          // Enough: the rest is not ours to buffer. Destroying drops this connection only.
          res.body.destroy();
          break;
        }
      }
      return this.#result(status, responseHeaders, started, chunks, null, null);
    } catch (err) {
      const e =
        abort.signal.aborted && abort.signal.reason instanceof TimeoutError ? abort.signal.reason : err;
      const code = (e as { code?: unknown }).code;
      return this.#result(
        status,
        responseHeaders,
        started,
        chunks,
        e instanceof Error ? e.message : String(e),
        typeof code === "string" ? code : "HOOKLINE_HTTP_ERROR",
      );
    } finally {
      clearTimeout(timer);
    }
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
