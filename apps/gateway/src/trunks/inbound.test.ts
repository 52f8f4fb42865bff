import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sealSecret, trunkSecretContext } from "@hookline/auth-tokens";
import {
  accounts,
  domains,
  numbers,
  openDatabase,
  trunks,
  type OpenedDatabase,
  type Trunk,
} from "@hookline/db";
import { silentLogger } from "@hookline/log";
import { createAuthorization, createRequest } from "@hookline/sip-core";
import type { TrunkInboundDecision } from "../b2bua/ports.js";
import type { Flow } from "../transport/types.js";
import { InboundTrunkGate, TRUNK_REALM } from "./inbound.js";
import { TrunkDirectory } from "./trunk-directory.js";

const SECRET = "test-token-secret-0123456789abcdef";
let dir: string;
let database: OpenedDatabase;
let gate: InboundTrunkGate;

const trunk = (id: string, accountId: string, over: Partial<Trunk> = {}): Trunk => ({
  id,
  accountId,
  name: id,
  isDefault: false,
  outboundTargets: [],
  outboundUsername: null,
  outboundPasswordSealed: null,
  inboundAddresses: ["198.51.100.0/24"],
  inboundUsername: null,
  inboundPasswordSealed: null,
  numberFormat: { countryCode: "1", nationalPrefix: null, techPrefix: null, outboundFormat: "e164" },
  codecs: ["PCMU"],
  callerId: { number: null, assertIdentity: true },
  fraudLimits: {
    allowedPrefixes: [],
    deniedPrefixes: [],
    maxConcurrentCalls: null,
    callsPerSecond: null,
    dailyOutboundMinutes: null,
  },
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-trunks-"));
  database = openDatabase({ file: join(dir, "hookline.db") });
  const db = database.db;
  db.insert(accounts)
    .values([
      { id: "acc_a", name: "A", createdAt: 0 },
      { id: "acc_b", name: "B", createdAt: 0 },
    ])
    .run();
  db.insert(domains)
    .values([
      { id: "dom_a", accountId: "acc_a", name: "a.test", createdAt: 0, updatedAt: 0 },
      { id: "dom_b", accountId: "acc_b", name: "b.test", createdAt: 0, updatedAt: 0 },
    ])
    .run();
  // Both accounts use the same carrier (shared addresses); B's trunk is a PBX with a password.
  db.insert(trunks)
    .values([
      trunk("trk_a", "acc_a"),
      trunk("trk_b", "acc_b", {
        inboundUsername: "pbx",
        inboundPasswordSealed: sealSecret(SECRET, "pbx-secret", trunkSecretContext("trk_b", "inbound")),
      }),
    ])
    .run();
  db.insert(numbers)
    .values([
      {
        id: "num_1",
        accountId: "acc_a",
        number: "+15551230001",
        trunkId: null,
        domainId: "dom_a",
        user: "alice",
        createdAt: 0,
      },
      {
        id: "num_2",
        accountId: "acc_b",
        number: "+15551230002",
        trunkId: "trk_b",
        domainId: "dom_b",
        user: null,
        createdAt: 0,
      },
    ])
    .run();
  gate = new InboundTrunkGate({
    directory: new TrunkDirectory(db, SECRET),
    isTenantDomain: (host) => host === "a.test" || host === "b.test",
    secret: `nonce:${SECRET}`,
    logger: silentLogger,
  });
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

const flow = (ip: string): Flow => ({ transport: "udp", remoteAddress: ip, remotePort: 5060 });
const invite = (user: string, from = "sip:+14155550100@198.51.100.7", extra: [string, string][] = []) =>
  createRequest({
    method: "INVITE",
    uri: `sip:${user}@192.0.2.1`,
    headers: [
      ["From", `<${from}>;tag=1`],
      ["To", `<sip:${user}@192.0.2.1>`],
      ["Call-ID", "c1"],
      ["CSeq", "1 INVITE"],
      ...extra,
    ],
  });

describe("inbound trunk calls (SPEC §3 trunks)", () => {
  it("a number written nationally on an allowed source becomes its account's call, to the assigned user", () => {
    expect(gate.classify(invite("5551230001"), flow("198.51.100.7"))).toEqual({
      kind: "call",
      domain: { domainId: "dom_a", accountId: "acc_a", name: "a.test" },
      trunk: "trk_a",
      number: "+15551230001",
      user: "alice",
    });
  });

  it("answers 403 from a source no trunk allows, the same for an existing and an unknown number", () => {
    const existing = gate.classify(
      invite("+15551230001", "sip:+14155550100@203.0.113.9"),
      flow("203.0.113.9"),
    );
    const unknown = gate.classify(
      invite("+15559999999", "sip:+14155550100@203.0.113.9"),
      flow("203.0.113.9"),
    );
    expect(existing).toEqual({ kind: "respond", status: 403, reason: "Forbidden" });
    expect(unknown).toEqual(existing);
  });

  it("leaves users' calls alone: a tenant's From, or a user name, is no trunk call", () => {
    expect(gate.classify(invite("+15551230001", "sip:bob@a.test"), flow("203.0.113.9")).kind).toBe(
      "not-trunk",
    );
    expect(gate.classify(invite("bob", "sip:x@203.0.113.9"), flow("203.0.113.9")).kind).toBe("not-trunk");
  });

  it("challenges a PBX trunk with 407 and takes its digest answer (RFC 3261 §22.3); a wrong password is 403", () => {
    const first = gate.classify(invite("+15551230002"), flow("198.51.100.7"));
    expect(first).toMatchObject({ kind: "respond", status: 407 });
    const [header] = (first as Extract<TrunkInboundDecision, { kind: "respond" }>).headers ?? [];
    const challenge = (header as [string, string])[1];
    const answer = (password: string) => {
      const auth = createAuthorization(challenge, {
        username: "pbx",
        password,
        method: "INVITE",
        uri: "sip:+15551230002@192.0.2.1",
        nc: 1,
      });
      if (!auth.ok) throw new Error(auth.error.message);
      return invite("+15551230002", undefined, [["Proxy-Authorization", auth.value]]);
    };
    expect(gate.classify(answer("pbx-secret"), flow("198.51.100.7"))).toMatchObject({
      kind: "call",
      trunk: "trk_b",
      number: "+15551230002",
    });
    expect(gate.classify(answer("wrong"), flow("198.51.100.7"))).toEqual({
      kind: "respond",
      status: 403,
      reason: "Forbidden",
    });
    expect(challenge).toContain(`realm="${TRUNK_REALM}"`);
  });
});
