import { registrations } from "@hookline/db";
import { openDatabase } from "@hookline/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Flow } from "../transport/types.js";
import { reachFlow } from "./binding.js";
import { SqliteBindingStore } from "./binding-store.js";
import { LocationService } from "./location-service.js";
import {
  addTenant,
  clock,
  answer,
  createRegistrar,
  DOMAIN,
  register,
  registerWithAuth,
  tempDatabase,
  udp,
} from "./test-support.js";
import type { Clock } from "./test-support.js";

let temp: ReturnType<typeof tempDatabase>;
let time: Clock;
let r: ReturnType<typeof createRegistrar>;

beforeEach(() => {
  temp = tempDatabase();
  time = clock();
  addTenant(temp.database, DOMAIN, { alice: "secret", bob: "hunter2", dave: "pw" });
  r = createRegistrar(temp.database, time);
});
afterEach(async () => {
  // As the server does: what is queued is committed before the database closes.
  await r.locations.stop();
  temp.close();
});

const tcp: Flow = { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 40001, connectionId: "tcp-1" };
const ws: Flow = { transport: "ws", remoteAddress: "127.0.0.1", remotePort: 40002, connectionId: "ws-1" };
const browserContact = "<sip:k3v9q2@df7jal23ls0d.invalid;transport=ws>";

describe("lookup: the flow that reaches a contact", () => {
  it("reaches a WebSocket contact over the connection it registered on (RFC 7118 §5)", async () => {
    await registerWithAuth(r.registrar, ws, {
      password: "secret",
      transport: "WS",
      contacts: [browserContact],
    });
    expect(r.locations.lookup(DOMAIN, "alice")).toMatchObject([
      { contact: "sip:k3v9q2@df7jal23ls0d.invalid;transport=ws", flow: ws },
    ]);
  });

  it("reaches a UDP contact at its own address, or at the source when it is behind NAT", () => {
    const source = udp("203.0.113.7", 40123);
    expect(reachFlow("sip:a@203.0.113.7:5062", source)).toEqual({
      transport: "udp",
      remoteAddress: "203.0.113.7",
      remotePort: 5062,
    });
    expect(reachFlow("sip:a@192.168.1.20:5060", source)).toEqual(source);
    expect(reachFlow("sip:a@phone.example", source)).toEqual(source);
  });

  it("reuses the registering TCP connection, with the contact address as fallback", () => {
    expect(reachFlow("sip:a@127.0.0.1:5080;transport=tcp", tcp)).toEqual({
      transport: "tcp",
      remoteAddress: "127.0.0.1",
      remotePort: 5080,
      connectionId: "tcp-1",
    });
  });

  it("is per domain and user: other users and domains see nothing", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret" });
    expect(r.locations.lookup(DOMAIN, "bob")).toEqual([]);
    expect(r.locations.lookup("other.example", "alice")).toEqual([]);
    expect(r.locations.lookup("ACME.sip.example", "alice")).toHaveLength(1);
  });
});

describe("bindings that die with their connection", () => {
  it("removeConnection drops the WebSocket's bindings and publishes registration.removed", async () => {
    await registerWithAuth(r.registrar, ws, {
      password: "secret",
      transport: "WS",
      contacts: [browserContact],
    });
    await registerWithAuth(r.registrar, udp(), { user: "bob", password: "hunter2" });
    r.events.length = 0;
    r.registrar.connectionClosed("ws-1");
    expect(r.locations.lookup(DOMAIN, "alice")).toEqual([]);
    expect(r.locations.lookup(DOMAIN, "bob")).toHaveLength(1);
    // The row goes, and the event follows, with the commit at the end of this turn.
    expect(r.events).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.events.map((e) => [e.type, e.data.registration.transport])).toEqual([
      ["registration.removed", "ws"],
    ]);
    expect(
      temp.database.db
        .select()
        .from(registrations)
        .all()
        .map((row) => row.aor),
    ).toEqual([`sip:bob@${DOMAIN}`]);
    expect(r.locations.removeConnection("ws-1")).toBe(0);
  });

  it("a closed plain TCP connection keeps its binding, reached again at the contact's address", async () => {
    await registerWithAuth(r.registrar, tcp, {
      password: "secret",
      transport: "TCP",
      contacts: ["<sip:alice@127.0.0.1:5070;transport=tcp>"],
    });
    r.registrar.connectionClosed("tcp-1");
    const [binding] = r.locations.lookup(DOMAIN, "alice");
    expect(binding?.flow).toMatchObject({ transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5070 });
  });

  it("a closed TCP connection drops an RFC 5626 outbound binding (reg-id)", async () => {
    await registerWithAuth(r.registrar, tcp, {
      password: "secret",
      transport: "TCP",
      contacts: [
        '<sip:alice@127.0.0.1:5070;transport=tcp>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"',
      ],
    });
    expect(r.locations.lookup(DOMAIN, "alice")).toHaveLength(1);
    r.registrar.connectionClosed("tcp-1");
    expect(r.locations.lookup(DOMAIN, "alice")).toEqual([]);
  });

  it("a browser reconnecting with the same +sip.instance and reg-id replaces its old flow (RFC 5626 §6)", async () => {
    const instance = ';+sip.instance="<urn:uuid:0f5b1c1e-7d1c-4a36-9d6c-2b1f0e9a3c11>";reg-id=1';
    await registerWithAuth(r.registrar, ws, {
      password: "secret",
      transport: "WS",
      contacts: [browserContact + instance],
    });
    const ws2: Flow = { ...ws, remotePort: 40003, connectionId: "ws-2" };
    const res = await registerWithAuth(r.registrar, ws2, {
      password: "secret",
      transport: "WS",
      contacts: ["<sip:zz@other.invalid;transport=ws>" + instance],
    });
    expect(res.status).toBe(200);
    expect(r.locations.lookup(DOMAIN, "alice")).toMatchObject([
      { contact: "sip:zz@other.invalid;transport=ws", flow: ws2 },
    ]);
    r.registrar.connectionClosed("ws-1");
    expect(r.locations.lookup(DOMAIN, "alice")).toHaveLength(1);
  });
});

describe("committing bindings (group commit)", () => {
  const rows = () =>
    temp.database.db
      .select()
      .from(registrations)
      .all()
      .map((row) => [row.aor, row.cseq]);

  /** Alice's and Bob's authenticated REGISTERs (after their 401s), not yet handled. */
  async function authenticated(cseq = 2) {
    const users = [
      { user: "alice", password: "secret", callId: "c-alice" },
      { user: "bob", password: "hunter2", callId: "c-bob" },
    ];
    return Promise.all(
      users.map(async (u) => {
        const challenge = await r.registrar.handle(register({ user: u.user, callId: u.callId }), udp());
        const authorization = answer(challenge, u);
        return register({ user: u.user, callId: u.callId, cseq, authorization });
      }),
    );
  }

  it("answers REGISTERs of one turn once their bindings are committed, together", async () => {
    const requests = await authenticated();
    const answers = Promise.all(requests.map((req) => r.registrar.handle(req, udp())));
    // Both took effect in memory at once; nothing is stored or announced before the commit.
    expect(r.locations.lookup(DOMAIN, "alice")).toHaveLength(1);
    expect(r.locations.lookup(DOMAIN, "bob")).toHaveLength(1);
    expect(rows()).toEqual([]);
    expect(r.events).toEqual([]);
    expect((await answers).map((res) => res.status)).toEqual([200, 200]);
    expect(rows()).toEqual([
      [`sip:alice@${DOMAIN}`, 2],
      [`sip:bob@${DOMAIN}`, 2],
    ]);
    expect(r.events.map((e) => [e.type, e.data.registration.aor])).toEqual([
      ["registration.created", `sip:alice@${DOMAIN}`],
      ["registration.created", `sip:bob@${DOMAIN}`],
    ]);
  });

  it("a binding the database refuses gets 500 and is undone; the others of its turn are stored", async () => {
    // A write that fails inside SQLite, for Bob's AOR only (a full disk fails them all alike).
    temp.database.sqlite.exec(
      `CREATE TRIGGER refuse_bob BEFORE INSERT ON registrations WHEN NEW.aor = 'sip:bob@${DOMAIN}'
       BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    );
    const requests = await authenticated();
    const answers = await Promise.all(requests.map((req) => r.registrar.handle(req, udp())));
    expect(answers.map((res) => res.status)).toEqual([200, 500]);
    expect(r.locations.lookup(DOMAIN, "alice")).toHaveLength(1);
    expect(r.locations.lookup(DOMAIN, "bob")).toEqual([]);
    expect(rows()).toEqual([[`sip:alice@${DOMAIN}`, 2]]);
    expect(r.events.map((e) => [e.type, e.data.registration.aor])).toEqual([
      ["registration.created", `sip:alice@${DOMAIN}`],
    ]);
  });

  it("a refresh the database refuses gets 500 and leaves the binding as it was", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret", callId: "c-alice" });
    const before = r.locations.lookup(DOMAIN, "alice");
    temp.database.sqlite.exec(
      `CREATE TRIGGER refuse_refresh BEFORE UPDATE ON registrations
       BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    );
    const [alice] = await authenticated(3);
    const res = await r.registrar.handle(alice!, udp());
    expect(res.status).toBe(500);
    expect(r.locations.lookup(DOMAIN, "alice")).toEqual(before);
    expect(rows()).toEqual([[`sip:alice@${DOMAIN}`, 2]]);
  });
});

describe("restart", () => {
  it("restore() keeps UDP and TCP bindings and drops WebSocket and expired ones", async () => {
    await registerWithAuth(r.registrar, udp(), { password: "secret" });
    await registerWithAuth(r.registrar, tcp, {
      user: "bob",
      password: "hunter2",
      transport: "TCP",
      contacts: ["<sip:bob@127.0.0.1:5080;transport=tcp>"],
    });
    await registerWithAuth(r.registrar, ws, {
      user: "dave",
      password: "pw",
      transport: "WS",
      contacts: [browserContact],
    });
    await registerWithAuth(r.registrar, udp("127.0.0.1", 5090), {
      user: "dave",
      password: "pw",
      contacts: ["<sip:dave@127.0.0.1:5090>"],
      expires: 60,
    });
    time.advance(120_000);

    // A new process on the same database file.
    const reopened = openDatabase({ file: temp.file });
    try {
      const fresh = new LocationService({ store: new SqliteBindingStore(reopened.db), now: time.now });
      expect(await fresh.restore()).toBe(2);
      expect(fresh.lookup(DOMAIN, "alice").map((b) => b.flow)).toEqual([udp()]);
      // The TCP connection died with the old process: reached by the contact's address now.
      expect(fresh.lookup(DOMAIN, "bob").map((b) => b.flow)).toEqual([
        { transport: "tcp", remoteAddress: "127.0.0.1", remotePort: 5080 },
      ]);
      expect(fresh.lookup(DOMAIN, "dave")).toEqual([]);
      const left = reopened.db.select().from(registrations).all();
      expect(left.map((row) => row.transport).sort()).toEqual(["tcp", "udp"]);
      // A refresh after the restart is still ordered by the persisted Call-ID and CSeq.
      expect(fresh.lookup(DOMAIN, "alice")[0]).toMatchObject({ cseq: 2 });
    } finally {
      reopened.close();
    }
  });
});

describe("limits", () => {
  it("refuses an eleventh contact for one AOR (403) and keeps the ten", async () => {
    const contacts = Array.from({ length: 10 }, (_, i) => `<sip:a${i}@127.0.0.1:5070>`);
    expect((await registerWithAuth(r.registrar, udp(), { password: "secret", contacts })).status).toBe(200);
    const more = await registerWithAuth(r.registrar, udp(), {
      password: "secret",
      contacts: ["<sip:x@127.0.0.1>"],
    });
    expect(more.status).toBe(403);
    expect(r.locations.lookup(DOMAIN, "alice")).toHaveLength(10);
  });
});
