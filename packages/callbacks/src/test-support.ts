/** Shared fixtures for this package's tests: a real SQLite file, real HTTP receivers. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accounts, calls, openDatabase } from "@hookline/db";
const dbSchema = { accounts, calls };
import type { Database, OpenedDatabase } from "@hookline/db";
import type { SipMessageEvent } from "./events.js";
import { newWebhookSecret } from "./signing.js";
import { tables } from "./tables.js";

export interface TestDb extends OpenedDatabase {
  dir: string;
  file: string;
  cleanup(): void;
}

export function tempDb(): TestDb {
  const dir = mkdtempSync(join(tmpdir(), "hookline-cb-"));
  const file = join(dir, "hookline.db");
  const opened = openDatabase({ file });
  return {
    ...opened,
    dir,
    file,
    cleanup: () => {
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function seedAccount(db: Database, id = "acc_test"): string {
  const { accounts } = dbSchema;
  db.insert(accounts).values({ id, name: id, createdAt: Date.now() }).onConflictDoNothing().run();
  return id;
}

export function seedCall(db: Database, accountId: string, id: string): string {
  const { calls } = dbSchema;
  db.insert(calls)
    .values({
      id,
      accountId,
      sipCallId: `${id}@test`,
      from: "sip:a@x",
      to: "sip:b@x",
      state: "initiated",
      startedAt: Date.now(),
    })
    .run();
  return id;
}

export function addCallback(
  db: Database,
  o: {
    accountId: string;
    url: string;
    events: string[];
    filter?: string;
    callId?: string;
    secret?: string;
    previousSecret?: string;
  },
): { id: string; secret: string } {
  const secret = o.secret ?? newWebhookSecret();
  const id = `cb_${Math.random().toString(36).slice(2)}`;
  const now = Date.now();
  db.insert(tables(db).callbacks)
    .values({
      id,
      accountId: o.accountId,
      callId: o.callId ?? null,
      url: o.url,
      events: o.events,
      filter: o.filter ?? null,
      secret,
      previousSecret: o.previousSecret ?? null,
      previousSecretExpiresAt: o.previousSecret ? now + 3_600_000 : null,
      createdAt: now,
      updatedAt: now,
    })
    .run();
  return { id, secret };
}

export function sipEvent(
  accountId: string,
  callId: string,
  seq: number,
  over: Partial<SipMessageEvent> = {},
): SipMessageEvent {
  return {
    type: "sip.INVITE",
    timestamp: new Date().toISOString(),
    data: {
      accountId,
      callId,
      seq,
      message: {
        direction: "received",
        method: "INVITE",
        status: null,
        reason: null,
        requestUri: "sip:bob@acme.sip.example",
        from: "<sip:alice@acme.sip.example>;tag=1",
        to: "<sip:bob@acme.sip.example>",
        sipCallId: `${callId}@test`,
        cseq: `${seq} INVITE`,
        headers: { "x-priority": "high" },
      },
      call: {
        id: callId,
        state: "initiated",
        from: "sip:alice@x",
        to: "sip:bob@x",
        startedAt: new Date().toISOString(),
      },
    },
    ...over,
  };
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: { seq: number; callId: string } & Record<string, unknown> };
  at: number;
}

export type Reply =
  | {
      status: number;
      headers?: Record<string, string>;
      body?: string;
      /** Answer this much later. */
      delayMs?: number;
      /** Answer once this settles. */
      until?: Promise<unknown>;
    }
  | "hang"
  | "stream";

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  server: Server;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1; `reply` decides each answer (default 200). */
export async function receiver(
  reply: (r: Received, n: number) => Reply = () => ({ status: 200 }),
): Promise<Receiver> {
  const received: Received[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const r: Received = {
        headers: req.headers,
        body,
        json: JSON.parse(body) as Received["json"],
        at: Date.now(),
      };
      received.push(r);
      const a = reply(r, received.length);
      if (a === "hang") {
        open.add(res);
        return;
      }
      if (a === "stream") {
        open.add(res);
        res.writeHead(200, { "content-type": "text/plain" });
        const tick = () => {
          if (res.destroyed) return;
          res.write("x".repeat(16 * 1024), () => setImmediate(tick));
        };
        tick();
        return;
      }
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? "ok");
      };
      if (a.until) void a.until.then(answer, answer);
      else if (a.delayMs) setTimeout(answer, a.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    server,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Polls until `check` is true (no assertion on time: the test timeout bounds it). */
export async function until(check: () => boolean, what = "condition", maxTries = 3000): Promise<void> {
  for (let i = 0; ; i++) {
    if (check()) return;
    if (i > maxTries) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `until` for a check that reads an asynchronous database. */
export async function untilAsync(check: () => Promise<boolean>, what = "condition"): Promise<void> {
  for (let i = 0; ; i++) {
    if (await check()) return;
    if (i > 1500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
