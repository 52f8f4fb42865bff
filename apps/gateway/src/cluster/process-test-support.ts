/**
 * For tests of roles as separate processes (SPEC §2): real `npm start` entry points (the bundle of
 * main.ts, bundle-test-support.ts) on 127.0.0.1 with short heartbeats, their REST API, and SIGKILL
 * as a crash. Every wait polls until a bound; nothing asserts on wall time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { eq, first, type Store } from "@hookline/db";
import { createResponse, parseMessage, serializeMessage } from "@hookline/sip-core";
import { GATEWAY_NODE_ARGS } from "../bundle-test-support.js";

export const TOKEN = "hlop_cluster-test-operator-token";
const HEARTBEAT_MS = "200";

export interface Node {
  child: ChildProcess;
  /** HOOKLINE_LISTEN_IP: 127.0.0.1 unless the test gave another loopback address. */
  host: string;
  http: number;
  sip: number | undefined;
  output: () => string;
}

const started: ChildProcess[] = [];

/** SIGKILLs every node a test started and left running (the test file's afterEach). */
export function killStartedNodes(): void {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

/** Polls `read` until it returns something other than undefined, for at most `ms`. */
export async function until<T>(
  what: string,
  read: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the gateway's bundle with these settings and waits for its banner (ports chosen by the system). */
export async function startNode(dataDir: string, env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, GATEWAY_NODE_ARGS, {
    env: {
      ...process.env,
      HOOKLINE_DATA_DIR: dataDir,
      HOOKLINE_ADMIN_TOKEN: TOKEN,
      HOOKLINE_HTTP_PORT: "0",
      HOOKLINE_SIP_PORT: "0",
      HOOKLINE_SIP_WS_PORT: "0",
      HOOKLINE_MEDIA_WORKERS: "1",
      HOOKLINE_RTP_MIN: "47200",
      HOOKLINE_RTP_MAX: "47299",
      HOOKLINE_HEARTBEAT_MS: HEARTBEAT_MS,
      HOOKLINE_CALLBACK_ALLOWLIST: "127.0.0.1",
      HOOKLINE_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const banner = await until(
    "the node's banner",
    () => {
      if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${out}`);
      return /^ {2}database {2}/m.test(out) ? out : undefined;
    },
    90_000,
  );
  const host = env.HOOKLINE_LISTEN_IP ?? "127.0.0.1";
  const h = host.replace(/\./g, "\\.");
  const httpPort = Number(new RegExp(`http://${h}:(\\d+)/`).exec(banner)?.[1]);
  const sip = new RegExp(`SIP over UDP and TCP ${h}:(\\d+)`).exec(banner)?.[1];
  return { child, host, http: httpPort, sip: sip === undefined ? undefined : Number(sip), output: () => out };
}

/** A REST call to the node; a status of 300 or more throws with the body. */
export async function api(node: Node, method: string, p: string, token: string, body?: unknown) {
  const res = await fetch(`http://${node.host}:${node.http}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown> & { data?: Array<Record<string, unknown>> };
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** SIGKILL, as a crash, and its exit. */
export function killed(node: Node): Promise<void> {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
    node.child.once("exit", () => resolve());
    node.child.kill("SIGKILL");
  });
}

/** A carrier on UDP that answers every INVITE with 180 Ringing and never more. */
export async function ringingCarrier(): Promise<{ port: number; invites: number; close(): void }> {
  const socket = dgram.createSocket("udp4");
  const state = { invites: 0 };
  socket.on("message", (m, from) => {
    const r = parseMessage(m);
    if (!r.ok || r.message.kind !== "request") return;
    if (r.message.method === "INVITE") {
      state.invites++;
      const ringing = createResponse(r.message, 180, "Ringing", { toTag: "carrier" });
      socket.send(serializeMessage(ringing), from.port, from.address);
    } else if (r.message.method !== "ACK") {
      socket.send(serializeMessage(createResponse(r.message, 200, "OK")), from.port, from.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    get invites() {
      return state.invites;
    },
    close: () => socket.close(),
  };
}

/** An account with a domain, a trunk to the carrier and, when given, a call.failed callback. */
export async function tenant(node: Node, carrierPort: number, callbackUrl?: string) {
  const account = await api(node, "POST", "/v1/accounts", TOKEN, { name: "Acme" });
  const key = account.apiKey as string;
  await api(node, "POST", "/v1/domains", key, { name: `acme-${carrierPort}.test` });
  const trunk = await api(node, "POST", "/v1/trunks", key, {
    name: "carrier",
    outbound: { targets: [{ host: "127.0.0.1", port: carrierPort }] },
  });
  if (callbackUrl)
    await api(node, "POST", "/v1/callbacks", key, {
      url: callbackUrl,
      events: ["call.initiated", "call.failed"],
    });
  return { key, trunkId: trunk.id as string };
}

/**
 * Starts a call out through the trunk and waits until the carrier has its INVITE and the call's
 * row, in progress, names `nodeId`.
 */
export async function callInProgress(
  node: Node,
  { db, t: { calls } }: Store,
  carrier: { invites: number },
  t: { key: string },
  nodeId: string,
) {
  const call = await api(node, "POST", "/v1/calls", t.key, {
    to: { number: "+15551230000", trunk: "carrier" },
    timeout: 120,
    // Run on answer; the carrier never answers.
    actions: [{ action: "hangup" }],
  });
  const id = call.id as string;
  await until("the carrier's INVITE", () => (carrier.invites > 0 ? true : undefined));
  const row = await until("the call's row", async () =>
    first(await db.select().from(calls).where(eq(calls.id, id)).limit(1)),
  );
  if (row.nodeId !== nodeId || row.endedAt !== null || !["initiated", "ringing"].includes(row.state))
    throw new Error(`the call is not in progress on ${nodeId}: ${JSON.stringify(row)}`);
  return id;
}
