import type { Dialect, OpenedDatabase, Store } from "@hookline/db";
import { openTestStore, type TestStore } from "@hookline/db/testing/stores";
import { createConsoleApp } from "./app.js";
import type { ConsoleApp } from "./app.js";
import type { ConsoleConfig, RouteDeps } from "./context.js";
import type { StartCallPort } from "./routes/start-call.js";

export { DIALECTS, stopPostgres } from "@hookline/db/testing/stores";

export const OPERATOR = "hlop_test-operator-token";
export const TOKEN_SECRET = "test-token-secret-0123456789abcdef";

// Response bodies are asserted field by field; a loose type keeps the tests readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Harness {
  app: ConsoleApp;
  store: Store;
  /** JSON request with a bearer token; returns status and parsed body. */
  call(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: Json }>;
  newAccount(name?: string): Promise<{ id: string; apiKey: string }>;
  close(): Promise<void>;
}

/** A harness on SQLite, for what only SQLite has here (the gateway's call store, write health). */
export interface SqliteHarness extends Harness {
  database: OpenedDatabase;
}

export interface HarnessOptions {
  flushCallRecords?: () => void | Promise<void>;
  trunkHealth?: RouteDeps["trunkHealth"];
  startCall?: StartCallPort;
}

/** A console app over a fresh database of `dialect`: a real SQLite file or a real PostgreSQL. */
export async function harness(
  dialect: Dialect = "sqlite",
  config: Partial<ConsoleConfig> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  return build(await openTestStore(dialect), config, options);
}

/** A console app over a fresh SQLite file, with the open database. */
export async function sqliteHarness(
  config: Partial<ConsoleConfig> = {},
  options: HarnessOptions = {},
): Promise<SqliteHarness> {
  const opened = await openTestStore("sqlite");
  if (!opened.sqlite) throw new Error("openTestStore(sqlite) opened no SQLite database");
  return { ...build(opened, config, options), database: opened.sqlite };
}

function build(opened: TestStore, config: Partial<ConsoleConfig>, options: HarnessOptions): Harness {
  const app = createConsoleApp({
    store: opened.store,
    config: { operatorToken: OPERATOR, tokenSecret: TOKEN_SECRET, ...config },
    ...options,
  });
  const call: Harness["call"] = async (method, path, token, body) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers["authorization"] = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await app.request(path, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    app,
    store: opened.store,
    call,
    async newAccount(name = "Acme") {
      const r = await call("POST", "/v1/accounts", OPERATOR, { name });
      if (r.status !== 201) throw new Error(`account creation failed: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    close: opened.cleanup,
  };
}
