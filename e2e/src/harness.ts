/**
 * Starts a real Hookline in this process (ports chosen by the OS on its HOOKLINE_LISTEN_IP, a fresh
 * data folder with a real SQLite file unless HOOKLINE_DATA_DIR names one) and provisions tenants
 * through the real REST API.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { OpenedDatabase } from "@hookline/db";
import { loadConfig, startHookline, type Hookline, type StartOptions } from "@hookline/gateway";

export interface Stack {
  h: Hookline;
  /** The stack's SQLite database (the embedded default); throws on a stack run on PostgreSQL. */
  readonly sqlite: OpenedDatabase;
  dataDir: string;
  /** `http://<listen IP>:<port>`: the REST API, the console and the softphone page. */
  httpUrl: string;
  /** `ws://<listen IP>:<port>`: SIP over WebSocket (port 0 on a node without the gateway role). */
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

/**
 * The secrets every node of a cluster shares (docs/scale-out.md "Adding and draining a node"), by
 * their file names in the data folder (@hookline/auth-tokens secret-files.ts): `token-secret`
 * signs API tokens, seals trunk passwords and keys digest nonces; `operator-token` guards the
 * operator's API.
 */
const CLUSTER_SECRETS = ["token-secret", "operator-token"] as const;

/**
 * A fresh data folder holding copies of `from`'s cluster secrets, for another node of its cluster
 * (`startStack({ HOOKLINE_DATA_DIR: dir, ... })`). The caller removes it: a stack removes only a
 * folder it made itself.
 */
export function clusterDataDir(from: Stack): string {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-e2e-node-"));
  for (const name of CLUSTER_SECRETS) copyFileSync(path.join(from.dataDir, name), path.join(dir, name));
  return dir;
}

/** An IP address as a URL's host: IPv6 in brackets (RFC 3986 §3.2.2). */
const urlHost = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);

export async function startStack(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<Stack> {
  const given = env.HOOKLINE_DATA_DIR;
  const dataDir = given || mkdtempSync(path.join(tmpdir(), "hookline-e2e-"));
  const rtpMin = rtpBase;
  rtpBase += 1000;
  const h = await startHookline(
    loadConfig({
      HOOKLINE_HTTP_PORT: "0",
      HOOKLINE_SIP_PORT: "0",
      HOOKLINE_SIP_WS_PORT: "0",
      HOOKLINE_MEDIA_WORKERS: "1",
      HOOKLINE_RTP_MIN: String(rtpMin),
      HOOKLINE_RTP_MAX: String(rtpMin + 999),
      HOOKLINE_CALLBACK_ALLOWLIST: "127.0.0.1",
      ...env,
      HOOKLINE_DATA_DIR: dataDir,
    }),
    options,
  );
  const host = urlHost(h.config.listenIp);
  const base = `http://${host}:${h.ports.http}`;
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
    httpUrl: base,
    wsUrl: `ws://${host}:${h.ports.ws}`,
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
      if (!given) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
