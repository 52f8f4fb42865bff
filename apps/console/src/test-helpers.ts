import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@hookline/db";
import type { OpenedDatabase } from "@hookline/db";
import { createConsoleApp } from "./app.js";
import type { ConsoleApp } from "./app.js";
import type { ConsoleConfig, RouteDeps } from "./context.js";
import type { StartCallPort } from "./routes/start-call.js";

export const OPERATOR = "hlop_test-operator-token";
export const TOKEN_SECRET = "test-token-secret-0123456789abcdef";

// Response bodies are asserted field by field; a loose type keeps the tests readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Harness {
  app: ConsoleApp;
  database: OpenedDatabase;
  dir: string;
  /** JSON request with a bearer token; returns status and parsed body. */
  call(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: Json }>;
  newAccount(name?: string): Promise<{ id: string; apiKey: string }>;
  close(): void;
}

/** A console app over a real SQLite file in a fresh temp dir. */
export function harness(
  config: Partial<ConsoleConfig> = {},
  options: {
    flushCallRecords?: () => void;
    trunkHealth?: RouteDeps["trunkHealth"];
    startCall?: StartCallPort;
  } = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), "hookline-console-"));
  const database = openDatabase({ file: join(dir, "hookline.db") });
  const app = createConsoleApp({
    db: database.db,
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
    database,
    dir,
    call,
    async newAccount(name = "Acme") {
      const r = await call("POST", "/v1/accounts", OPERATOR, { name });
      if (r.status !== 201) throw new Error(`account creation failed: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    close() {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
