/** Test fixtures for the registrar, auth and tenancy tests: a real SQLite file and SIP built by hand. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus, silentLogger } from "@hookline/callbacks";
import type { RegistrationEvent } from "@hookline/callbacks";
import { accounts, credentials, domains, newId, openDatabase } from "@hookline/db";
import type { OpenedDatabase } from "@hookline/db";
import {
  computeHa1,
  createAuthorization,
  getHeaders,
  parseMessage,
  selectDigestChallenge,
} from "@hookline/sip-core";
import type { DigestAlgorithm, SipRequest, SipResponse } from "@hookline/sip-core";
import { SipAuthenticator } from "../auth/sip-authenticator.js";
import { TenantDirectory } from "../tenancy/tenant-directory.js";
import type { Flow } from "../transport/types.js";
import { SqliteBindingStore } from "./binding-store.js";
import { LocationService } from "./location-service.js";
import { Registrar } from "./registrar.js";

export const DOMAIN = "acme.sip.example";
export const SECRET = "0123456789abcdef0123456789abcdef";

export interface Clock {
  t: number;
  now: () => number;
  advance(ms: number): void;
}

export function clock(start = Date.UTC(2026, 0, 1)): Clock {
  const c: Clock = {
    t: start,
    now: () => c.t,
    advance: (ms) => {
      c.t += ms;
    },
  };
  return c;
}

export interface Tenant {
  accountId: string;
  domainId: string;
}

export function addTenant(database: OpenedDatabase, domain: string, users: Record<string, string>): Tenant {
  const { db } = database;
  const accountId = newId("acc");
  const domainId = newId("dom");
  db.insert(accounts).values({ id: accountId, name: domain, createdAt: 1 }).run();
  db.insert(domains).values({ id: domainId, accountId, name: domain, createdAt: 1, updatedAt: 1 }).run();
  for (const [username, password] of Object.entries(users)) {
    db.insert(credentials)
      .values({
        id: newId("cred"),
        accountId,
        domainId,
        username,
        realm: domain,
        ha1Md5: computeHa1("MD5", username, domain, password),
        ha1Sha256: computeHa1("SHA-256", username, domain, password),
        createdAt: 1,
      })
      .run();
  }
  return { accountId, domainId };
}

/** A temp folder with a migrated SQLite file; `close()` removes both. */
export function tempDatabase(): { database: OpenedDatabase; file: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), "hookline-registrar-"));
  const file = join(dir, "hookline.db");
  const database = openDatabase({ file });
  return {
    database,
    file,
    close: () => {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registrar, authenticator, location service and bus over one database and one clock. */
export function createRegistrar(
  database: OpenedDatabase,
  time: Clock,
  algorithms?: readonly DigestAlgorithm[],
) {
  const bus = new EventBus(silentLogger);
  const events: RegistrationEvent[] = [];
  bus.on("registration", (e) => events.push(e));
  const tenants = new TenantDirectory(database.db, { now: time.now });
  const authenticator = new SipAuthenticator({
    directory: tenants,
    secret: SECRET,
    now: time.now,
    ...(algorithms !== undefined && { algorithms }),
  });
  const locations = new LocationService({ store: new SqliteBindingStore(database.db), bus, now: time.now });
  const registrar = new Registrar({ tenants, authenticator, locations, now: time.now });
  return { bus, events, tenants, authenticator, locations, registrar };
}

export const udp = (address = "127.0.0.1", port = 5070): Flow => ({
  transport: "udp",
  remoteAddress: address,
  remotePort: port,
});

export interface RegisterInput {
  user?: string;
  toUser?: string;
  domain?: string;
  callId?: string;
  cseq?: number;
  /** Contact header values; empty for a query. */
  contacts?: string[];
  expires?: number;
  authorization?: string;
  transport?: string;
  userAgent?: string;
}

let callCounter = 0;

export function register(input: RegisterInput = {}): SipRequest {
  const user = input.user ?? "alice";
  const domain = input.domain ?? DOMAIN;
  const lines = [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/${input.transport ?? "UDP"} 127.0.0.1:5070;branch=z9hG4bK${++callCounter};rport`,
    "Max-Forwards: 70",
    `From: <sip:${user}@${domain}>;tag=f${callCounter}`,
    `To: <sip:${input.toUser ?? user}@${domain}>`,
    `Call-ID: ${input.callId ?? `reg-${callCounter}`}`,
    `CSeq: ${input.cseq ?? 1} REGISTER`,
    ...(input.contacts ?? [`<sip:${user}@127.0.0.1:5070>`]).map((c) => `Contact: ${c}`),
    ...(input.expires === undefined ? [] : [`Expires: ${input.expires}`]),
    ...(input.authorization === undefined ? [] : [`Authorization: ${input.authorization}`]),
    ...(input.userAgent === undefined ? [] : [`User-Agent: ${input.userAgent}`]),
    "Content-Length: 0",
    "",
    "",
  ];
  const parsed = parseMessage(lines.join("\r\n"));
  if (!parsed.ok || parsed.message.kind !== "request")
    throw new Error(`bad test request: ${lines.join("|")}`);
  return parsed.message;
}

/** The Authorization answering a 401/407, computed by sip-core's client (RFC 7616 §3.4). */
export function answer(
  challenge: SipResponse,
  opts: { user?: string; password: string; uri?: string; method?: string; nc?: number; md5?: boolean },
): string {
  const key = challenge.status === 407 ? "proxy-authenticate" : "www-authenticate";
  const values = getHeaders(challenge, key).filter((v) => !opts.md5 || /algorithm=MD5\b/.test(v));
  const selected = selectDigestChallenge(values);
  if (selected === undefined) throw new Error("no usable challenge");
  const r = createAuthorization(selected, {
    username: opts.user ?? "alice",
    password: opts.password,
    method: opts.method ?? "REGISTER",
    uri: opts.uri ?? `sip:${DOMAIN}`,
    nc: opts.nc ?? 1,
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** REGISTER → 401 → REGISTER with credentials; returns the final response. */
export async function registerWithAuth(
  registrar: Registrar,
  flow: Flow,
  input: RegisterInput & { password: string },
): Promise<SipResponse> {
  const callId = input.callId ?? `reg-auth-${++callCounter}`;
  const challenge = await registrar.handle(register({ ...input, callId }), flow);
  if (challenge.status !== 401) return challenge;
  const authorization = answer(challenge, { user: input.user ?? "alice", password: input.password });
  return registrar.handle(register({ ...input, callId, cseq: (input.cseq ?? 1) + 1, authorization }), flow);
}
