/**
 * Starts a real Hookline in this process (ports chosen by the OS, a fresh data folder with a real
 * SQLite file) and provisions tenants through the real REST API.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { OpenedDatabase } from "@hookline/db";
import { loadConfig, startHookline, type Hookline, type StartOptions } from "@hookline/gateway";

export interface Stack {
  h: Hookline;
  /** The stack's SQLite database (the embedded default); throws on a stack run on PostgreSQL. */
  readonly sqlite: OpenedDatabase;
  dataDir: string;
  wsUrl: string;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  /** Creates an account with one domain and the given users (password = `${user}-secret`). */
  tenant(domain: string, users: string[]): Promise<{ accountId: string; apiKey: string; domainId: string }>;
  close(): Promise<void>;
}

let rtpBase = 44000;

export async function startStack(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "hookline-e2e-"));
  const rtpMin = rtpBase;
  rtpBase += 1000;
  const h = await startHookline(
    loadConfig({
      HOOKLINE_DATA_DIR: dataDir,
      HOOKLINE_HTTP_PORT: "0",
      HOOKLINE_SIP_PORT: "0",
      HOOKLINE_SIP_WS_PORT: "0",
      HOOKLINE_MEDIA_WORKERS: "1",
      HOOKLINE_RTP_MIN: String(rtpMin),
      HOOKLINE_RTP_MAX: String(rtpMin + 999),
      HOOKLINE_CALLBACK_ALLOWLIST: "127.0.0.1",
      ...env,
    }),
    options,
  );
  const base = `http://127.0.0.1:${h.ports.http}`;
  const api: Stack["api"] = async (method, p, body, token = h.operatorToken.token) => {
    const res = await fetch(base + p, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
  };
  return {
    h,
    get sqlite() {
      if (h.database.dialect !== "sqlite") throw new Error("this stack runs on PostgreSQL");
      return h.database.sqlite;
    },
    dataDir,
    wsUrl: `ws://127.0.0.1:${h.ports.ws}`,
    api,
    async tenant(domain, users) {
      const acc = await api<{ id: string; apiKey: string }>("POST", "/v1/accounts", { name: domain });
      if (acc.status !== 201) throw new Error(`account: ${acc.status} ${JSON.stringify(acc.body)}`);
      const key = acc.body.apiKey;
      const dom = await api<{ id: string }>("POST", "/v1/domains", { name: domain }, key);
      if (dom.status !== 201) throw new Error(`domain: ${dom.status} ${JSON.stringify(dom.body)}`);
      for (const username of users) {
        const cred = await api(
          "POST",
          "/v1/credentials",
          { domain, username, password: `${username}-secret` },
          key,
        );
        if (cred.status !== 201) throw new Error(`credential: ${cred.status} ${JSON.stringify(cred.body)}`);
      }
      return { accountId: acc.body.id, apiKey: key, domainId: dom.body.id };
    },
    async close() {
      await h.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
